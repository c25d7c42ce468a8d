"""test_dash_browser.py — the dashboard page (tools/dash/www) in a real
headless chromium, against the real `ezc-dash --port 0` and real `ezc run`
graphs, all in a private EZC_RUN_DIR.

Graphs: `dtest` (sine, 64 channels at 1 kHz in chunks of 10 -> scale, the
scale node published as dtest/scale) and `dgroups` (process group acq: two
sines; group dsp: a spectrogram, a spectrum and a mean over time, published
as dgroups/spec, dgroups/psd, dgroups/cursor). Checks: every node is in the
SVG, the groups are boxes; clicking the scale node plots 64 traces whose
canvas pixels change between frames; its settings form shows scale = 1;
the plotted range is [-1, 1] (±2 %), then [-3, 3] (±2 %) after Apply of
scale = 3 through the form; `abc` shows the server's validation message
next to the field; the draw time of the 64-channel plot has p50 < 10 ms
(printed, with the display latency); the mode menu redraws it as a heat
map; the spectrogram plots as a heat map, the spectrum as a spectrum with
its peak at the sine's 40 Hz, the two means as scalars; recording a stream
from the page writes a file; `ezc stop dtest` shows the graph as stopped; a
dead server shows as disconnected, and the page reconnects when it is back
(same port, same token from --token-file).

Usage: test_dash_browser.py PATH_TO_EZC [PATH_TO_EZC_DASH]; exits 77 (skip)
without chromium, chromedriver, selenium or ezc-dash. With
EZC_DASH_SCREENSHOTS=DIR it saves the screenshots of docs/dashboard.md
there (docs/img/dash-*.png).
"""
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# meson passes paths relative to the build folder; the processes run elsewhere
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
EZC = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else shutil.which("ezc") or "ezc"
BUILD = os.environ.get("EZC_BUILD_DIR", "")
DASH = sys.argv[2] if len(sys.argv) > 2 else os.path.join(BUILD, "tools", "dash", "ezc-dash")
DASH = os.path.abspath(DASH) if DASH else ""  # "": meson built none
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SHOTS = os.environ.get("EZC_DASH_SCREENSHOTS", "")
DEADLINE = time.monotonic() + 100  # meson's timeout is 120 s


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:
    skip("python3-selenium is not installed")
if not CHROMIUM:
    skip("chromium is not installed")
if not os.access(CHROMEDRIVER, os.X_OK):
    skip("chromedriver is not installed")
if not (os.path.isfile(DASH) and os.access(DASH, os.X_OK)):
    skip(f"no ezc-dash{' at ' + DASH if DASH else ''} (it is built only with libwebsockets)")





def wait_for(what, fn, timeout=10.0, step=0.1):
    """fn() until it returns a true value, at most timeout s; its last value."""
    end = min(time.monotonic() + timeout, DEADLINE)
    v = fn()
    while not v and time.monotonic() < end:
        time.sleep(step)
        v = fn()
    if not v:
        print(f"(waited {timeout} s for {what})")
    return v


tmp = tempfile.mkdtemp(prefix="ezc-dash-browser-")
run_dir = os.path.join(tmp, "run")
os.mkdir(run_dir, 0o700)
env = dict(os.environ, EZC_RUN_DIR=run_dir)

DTEST = f"""description: the dashboard test's 64-channel graph
nodes:
  sine:
    type: sine
    settings: {{fs: 1000, channels: 64, chunk: 10, freq: 1}}
  scale:
    type: scale
    settings: {{scale: 1.0}}
edges:
  - sine -> scale
outputs:
  scaled: {{node: scale, endpoint: "ipc://{tmp}/dtest-scale"}}
"""
DGROUPS = f"""description: two process groups, a spectrogram
nodes:
  src:
    type: sine
    process: acq
    settings: {{fs: 500, channels: 1, chunk: 100, freq: 40}}
  spec:
    type: spectrogram
    process: dsp
    settings: {{window_dur: 0.256, window_shift: 0.05, transform: rel_db}}
  psd:
    type: spectrum
    process: dsp
    settings: {{transform: abs, nfft: 256}}
  pos:
    type: sine
    process: acq
    settings: {{fs: 100, channels: 2, chunk: 5, freq: 0.25}}
  cursor:
    type: aggregate
    process: dsp
    settings: {{axis: time, operation: mean}}
edges:
  - src -> spec
  - src -> psd
  - pos -> cursor
outputs:
  spec: {{node: spec, endpoint: "ipc://{tmp}/dgroups-spec"}}
  psd: {{node: psd, endpoint: "ipc://{tmp}/dgroups-psd"}}
  cursor: {{node: cursor, endpoint: "ipc://{tmp}/dgroups-cursor"}}
"""

procs = []
driver = None


def start(args, **kw):
    p = subprocess.Popen(args, env=env, cwd=tmp, **kw)
    procs.append(p)
    return p


def ezc(*args):
    return subprocess.run([EZC, *args], env=env, cwd=tmp, capture_output=True, text=True,
                          timeout=20)


def js(expr):
    return driver.execute_script("return " + expr)


def canvas_hash():
    return hashlib.sha1(js("document.querySelector('#plot canvas').toDataURL()").encode()).hexdigest()


def shot(name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        js("document.getElementById('graphs').scrollTop = 0")
        time.sleep(0.6)  # the toolbar's figures refresh every 0.5 s
        driver.save_screenshot(os.path.join(SHOTS, f"dash-{name}.png"))


def start_dash(port, token_file):
    """ezc-dash on port (0: any), its URL from its first line."""
    dash = start([DASH, "--port", port, "--token-file", token_file], stdout=subprocess.PIPE,
                 stderr=subprocess.STDOUT, text=True)
    url = None
    end = time.monotonic() + 10
    out = ""
    while url is None and time.monotonic() < end and dash.poll() is None:
        if select.select([dash.stdout], [], [], 0.2)[0]:
            line = dash.stdout.readline()
            out += line
            m = re.search(r"ezc dash: (http://\S+)", line)
            url = m.group(1) if m else None
    check(f"ezc-dash --port {port} prints its URL", url, out)
    return dash, url


def set_field(value):
    inp = driver.find_element(By.CSS_SELECTOR, '#settings form[data-node="scale"] [name="scale"]')
    inp.clear()
    inp.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, '#settings form button[type="submit"]').click()


def main():
    global driver
    for name, text in (("dtest", DTEST), ("dgroups", DGROUPS)):
        with open(os.path.join(tmp, name + ".yaml"), "w") as f:
            f.write(text)
        start([EZC, "run", os.path.join(tmp, name + ".yaml"), "--quiet"])
    listed = wait_for("both graphs' streams", lambda: all(
        s in ezc("ls", "--streams", "--quiet").stdout
        for s in ("dtest/scale", "dgroups/spec", "dgroups/psd", "dgroups/cursor")))
    if not check("graphs run and publish their four streams", listed,
                 ezc("ls").stdout):
        return

    token_file = os.path.join(tmp, "dash.token")
    dash, url = start_dash("0", token_file)
    if not url:
        return

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,800", "--hide-scrollbars"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(20)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.get(url)

    # The graphs as graphs.
    nodes = wait_for("the nodes in the SVG", lambda: js(
        "Array.from(document.querySelectorAll('#graphs svg [data-node]'))"
        ".map(e => e.closest('.graph').dataset.graph + '/' + e.dataset.node).sort().join(' ')"))
    check("every node of both graphs is in the SVG",
          nodes == "dgroups/cursor dgroups/pos dgroups/psd dgroups/spec dgroups/src "
                   "dtest/scale dtest/sine", nodes)
    check("connected", js("window.ezcDash.connected && document.getElementById('conn').dataset.state")
          == "connected")
    edges = js("document.querySelectorAll('.graph[data-graph=\"dtest\"] path.edge').length")
    check("dtest's edge is drawn", edges == 1, edges)
    groups = js("Array.from(document.querySelectorAll('.graph[data-graph=\"dgroups\"] .group'))"
                ".map(g => g.dataset.group).sort().join(' ')")
    check("dgroups' process groups are boxes", groups == "acq dsp", groups)
    rate = wait_for("msg/s on the scale node", lambda: re.match(r"(\d+) msg/s", js(
        "document.querySelector('[data-graph=\"dtest\"] [data-node=\"scale\"] text.rate')"
        ".textContent")))
    check("the scale node shows ~100 msg/s", rate and 80 <= int(rate.group(1)) <= 120,
          rate and rate.group(0))
    state = js("document.querySelector('.graph[data-graph=\"dtest\"] .graph-state').textContent")
    check("dtest shows running", state == "running", state)
    shot("graphs")

    # The scale node: its plot and its settings.
    driver.find_element(By.CSS_SELECTOR, '.graph[data-graph="dtest"] [data-node="scale"]').click()
    hdr = wait_for("64-channel traces", lambda: js(
        "(h => h && h.stream === 'dtest/scale' && h.mode === 'traces' && ezcDash.drawn >= 3 && h)"
        "(window.ezcDash.lastHeader)"))
    if not check("clicking the scale node plots dtest/scale as traces", hdr, js("ezcDash.lastHeader")):
        return
    check("64 rows labelled", hdr["rows"] == 64 and len(hdr["labels"]) == 64, hdr)
    h1 = canvas_hash()
    seq1 = js("ezcDash.lastHeader.seq")
    wait_for("a newer frame", lambda: js("ezcDash.lastHeader.seq") >= seq1 + 3)
    h2 = canvas_hash()
    check("the canvas changes between frames", h1 != h2)

    field = wait_for("the settings form", lambda: js(
        "(e => e && e.value)(document.querySelector('#settings form[data-node=\"scale\"] [name=\"scale\"]'))"))
    check("the form shows scale = 1", field is not None and abs(float(field) - 1.0) < 1e-9, field)

    def range_near(a):
        r = js("window.ezcDash.lastRange")
        return r and abs(r[1] - a) < 0.02 * a and abs(r[0] + a) < 0.02 * a and r

    r = wait_for("range ±1", lambda: range_near(1.0))
    check("plotted range is [-1, 1] (±2 %)", r, js("window.ezcDash.lastRange"))
    if SHOTS:
        time.sleep(3)  # a fuller window for the picture
    shot("traces")

    set_field("3")
    status = wait_for("applied", lambda: js(
        "(e => e && /applied/.test(e.textContent) && e.textContent)"
        "(document.querySelector('#settings .form-status'))"))
    check("Apply of scale = 3 is applied", status, status)
    r = wait_for("range ±3", lambda: range_near(3.0), timeout=8)
    check("after scale = 3 the plotted range is [-3, 3] (±2 %)", r, js("window.ezcDash.lastRange"))

    set_field("abc")
    err = wait_for("the field's error", lambda: js(
        "(e => e && e.textContent)(document.querySelector("
        "'#settings .field[data-field=\"scale\"] .field-error'))"))
    check("an invalid value shows the server's message next to the field",
          err and "setting 'scale'" in err and "expected a number" in err, err)
    shot("settings-error")

    # Draw time of the 64-channel plot at (up to) 30 frames/s.
    js("(ezcDash.frameTimes.length = 0, ezcDash.latencies.length = 0, 0)")
    d0 = js("ezcDash.drawn")
    time.sleep(5)
    times = js("ezcDash.frameTimes.slice()")
    fps = (js("ezcDash.drawn") - d0) / 5.0
    times.sort()
    p50 = times[len(times) // 2] if times else float("nan")
    lat = js("ezcDash.latencyP50Ms")
    print(f"64-channel traces ({hdr['cols']} columns): {fps:.1f} frames/s drawn, "
          f"frame time p50 {p50:.2f} ms (max {times[-1] if times else float('nan'):.2f} ms), "
          f"display latency p50 {lat:.1f} ms (src_ts_ns to frame drawn)")
    check("frames are drawn at >= 10/s (the server sends up to 30/s)", fps >= 10, fps)
    check("64-channel frame time p50 < 10 ms", p50 < 10, p50)
    check("display latency is measured and below 1 s", lat is not None and 0 < lat < 1000, lat)

    # The mode menu: the same 64 channels as a heat map, then back to auto.
    mode = Select(driver.find_element(By.ID, "plot-mode"))
    mode.select_by_value("heatmap")
    hdr = wait_for("a forced heat map", lambda: js(
        "(h => h && h.mode === 'heatmap' && h)(ezcDash.lastHeader)"))
    check("mode heatmap draws dtest/scale's 64 channels as 64 rows",
          hdr and hdr["stream"] == "dtest/scale" and hdr["rows"] == 64, hdr)
    mode.select_by_value("auto")

    # The spectrogram as a heat map, chosen from the stream list.
    driver.find_element(By.CSS_SELECTOR, '#streams li[data-stream="dgroups/spec"] .sname').click()
    hdr = wait_for("a heat map", lambda: js(
        "(h => h && h.stream === 'dgroups/spec' && h.mode === 'heatmap' && h)(ezcDash.lastHeader)"))
    check("dgroups/spec plots as a heat map of 65 frequency rows",
          hdr and hdr["rows"] == 65, hdr)
    check("its rows are labelled by frequency (the freq axis's values in Hz)",
          hdr and " Hz" in hdr["labels"][1] and " Hz" in hdr["labels"][64], hdr and hdr["labels"][:3])
    if SHOTS:
        time.sleep(3)  # some history in the window for the picture
    shot("heatmap")
    driver.find_element(By.CSS_SELECTOR, '#streams li[data-stream="dgroups/psd"] .sname').click()
    hdr = wait_for("a spectrum", lambda: js(
        "(h => h && h.stream === 'dgroups/psd' && h.mode === 'spectrum' && h)(ezcDash.lastHeader)"))
    check("dgroups/psd plots as a spectrum of 129 bins, 0 to 250 Hz",
          hdr and hdr["cols"] == 129 and abs(hdr["x0"]) < 1e-9 and abs(hdr["dx"] * 128 - 250) < 1e-6,
          hdr)
    peak = js("(v => v.indexOf(Math.max(...v)))(Array.from(ezcDash.lastValues))")
    f = hdr and hdr["x0"] + peak * hdr["dx"]
    check("its peak is the sine's 40 Hz (± one bin)", hdr and abs(f - 40) <= hdr["dx"], f)
    shot("spectrum")

    # Two values without a time axis: numbers and a 2-D cursor.
    driver.find_element(By.CSS_SELECTOR, '#streams li[data-stream="dgroups/cursor"] .sname').click()
    hdr = wait_for("scalars", lambda: js(
        "(h => h && h.stream === 'dgroups/cursor' && h.mode === 'scalars' && h)(ezcDash.lastHeader)"))
    check("dgroups/cursor plots as 2 scalars", hdr and hdr["rows"] == 2, hdr)
    vals = js("Array.from(ezcDash.lastValues)")
    check("its values are the sines' means, within [-1, 1]",
          len(vals) == 2 and all(-1.0 <= x <= 1.0 for x in vals), vals)
    if SHOTS:
        time.sleep(4)  # a trail behind the cursor
    shot("cursor")

    # Recording from the page.
    rec = '#streams li[data-stream="dtest/scale"] button.rec'
    driver.find_element(By.CSS_SELECTOR, rec).click()
    path = wait_for("recording", lambda: js(
        "(e => e && e.textContent)(document.querySelector('#streams li[data-stream=\"dtest/scale\"] "
        ".recpath'))"))
    check("record shows the file being written", path, path)
    time.sleep(1.0)
    driver.find_element(By.CSS_SELECTOR, rec).click()
    stopped = wait_for("recording stopped", lambda: not js(
        f"document.querySelector('{rec}').classList.contains('on')"), timeout=4)
    check("record stops", stopped)
    full = path and (path if os.path.isabs(path) else os.path.join(tmp, path))
    size = wait_for("the file", lambda: full and os.path.exists(full) and os.path.getsize(full) > 1000)
    check("the recording file has data", size, full)

    # Stopping a graph from outside.
    r = ezc("stop", "dtest")
    check("ezc stop dtest", r.returncode == 0, r.stderr)
    state = wait_for("stopped", lambda: js(
        "(e => e.textContent === 'stopped' && e.textContent)"
        "(document.querySelector('.graph[data-graph=\"dtest\"] .graph-state'))"))
    check("the page shows dtest stopped", state == "stopped", state)

    # The server going away.
    dash.send_signal(signal.SIGINT)
    dash.wait(10)
    conn = wait_for("disconnected", lambda: js(
        "!ezcDash.connected && document.getElementById('conn').dataset.state === 'disconnected'"
        " && document.getElementById('conn').textContent"), timeout=5)
    check("the page says the server went away", conn and "retrying" in conn, conn)

    # Back on the same port with the same token (--token-file): the page reconnects.
    port = re.search(r":(\d+)/", url).group(1)
    _, url2 = start_dash(port, token_file)
    check("the same URL again", url2 == url, url2)
    back = wait_for("reconnected", lambda: js(
        "ezcDash.connected && document.querySelector('.graph[data-graph=\"dgroups\"] .graph-state')"
        ".textContent === 'running'"), timeout=12)
    check("the page reconnects by itself and shows the graphs again", back)


try:
    main()
except Exception as e:  # a selenium or timeout error fails the test with its message
    check("the page test ran to its end", False, f"{type(e).__name__}: {e}")
finally:
    if driver:
        try:
            for entry in driver.get_log("browser"):
                if entry.get("level") == "SEVERE" and "ws?token" not in entry.get("message", ""):
                    print("browser:", entry["message"])
        except Exception:
            pass
        driver.quit()
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)

finish("dash_browser")
