/* ezc dashboard page: talks protocol version 1 of docs/dashboard.md over one
   WebSocket. Graphs are SVG (layered by longest path from the sources);
   plots are drawn on one canvas from the server's decimated columns, into
   an ImageData for traces and heat maps, only when a new frame came. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const SVGNS = 'http://www.w3.org/2000/svg';

  /* What tests (and curious users, from the console) read. */
  const dash = window.ezcDash = {
    frames: 0,            // binary frames received
    drawn: 0,             // frames drawn
    latencyP50Ms: null,   // src_ts_ns to frame drawn, p50 of the last 300
    frameTimeP50Ms: null, // time to draw one frame, p50 of the last 300
    frameTimes: [],       // the last 300 draw times (ms)
    latencies: [],        // the last 300 display latencies (ms)
    lastHeader: null,     // header of the last frame drawn
    lastRange: null,      // [min, max] of the finite values of that frame
    lastValues: null,     // and its values (Float32Array, as received)
    connected: false,
    badFrames: 0,
  };

  /* ---------- connection ---------- */

  const token = new URLSearchParams(location.search).get('token') || '';
  let ws = null;
  let backoffMs = 500;
  let retryTimer = null;
  let failures = 0; // connection attempts in a row that never opened
  let nextId = 1;
  const pending = new Map(); // request id -> callback(result)

  function setConn(state, text) {
    const el = $('conn');
    el.className = 'conn ' + state;
    el.dataset.state = state;
    el.textContent = text;
  }

  function connect() {
    retryTimer = null;
    if (!token) {
      setConn('disconnected', 'no token in the URL');
      notice('Open the URL that ezc dash printed: it carries ?token=…');
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = scheme + '//' + location.host + '/ws?token=' + encodeURIComponent(token);
    setConn('connecting', 'connecting…');
    try {
      ws = new WebSocket(url, 'ezc-dash.v1');
    } catch (e) {
      scheduleReconnect(String(e));
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      failures = 0;
      dash.connected = true;
      setConn('connected', 'connected');
      if (plot.stream) sendSubscribe();
      if (settingsFor) requestSchema(settingsFor.graph, settingsFor.node);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') onText(ev.data);
      else onBinary(ev.data);
    };
    ws.onclose = () => {
      const wasUp = dash.connected;
      dash.connected = false;
      ws = null;
      for (const cb of pending.values()) cb({ ok: false, error: 'connection lost' });
      pending.clear();
      if (!wasUp) failures++;
      // a restarted ezc dash has a new token unless it keeps one (--token-file)
      scheduleReconnect(wasUp ? 'server went away'
        : 'cannot connect' + (failures >= 3 ? ' (restarted? open the URL it printed)' : ''));
    };
    ws.onerror = () => { /* onclose follows and says so */ };
  }

  function scheduleReconnect(why) {
    if (retryTimer) return;
    const s = backoffMs / 1000;
    setConn('disconnected', why + ' — retrying in ' + (s < 1 ? s.toFixed(1) : s.toFixed(0)) + ' s');
    retryTimer = setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 10000);
  }

  function send(obj) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  function request(obj, cb) {
    obj.id = nextId++;
    if (!send(obj)) {
      cb({ ok: false, error: 'not connected' });
      return;
    }
    pending.set(obj.id, cb);
  }

  let noticeTimer = null;
  function notice(text) {
    $('notice').textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { $('notice').textContent = ''; }, 10000);
  }

  function onText(text) {
    let m;
    try { m = JSON.parse(text); } catch (e) { notice('bad message from the server'); return; }
    switch (m.type) {
      case 'hello':
        backoffMs = 500;
        $('host').textContent = (m.host || '') + ' · ezc-dash pid ' + m.pid;
        if (m.version !== 1) notice('server speaks protocol ' + m.version + ', this page 1');
        break;
      case 'graphs': renderGraphs(m.graphs || []); break;
      case 'streams': renderStreams(m.streams || []); break;
      case 'schema': renderSchema(m); break;
      case 'result': {
        const cb = pending.get(m.id);
        pending.delete(m.id);
        if (cb) cb(m);
        break;
      }
      case 'error':
        if (m.id !== undefined && pending.has(m.id)) {
          const cb = pending.get(m.id);
          pending.delete(m.id);
          cb({ ok: false, error: m.error });
        } else if (m.op === 'schema' && awaitingSchema) {
          showSettingsError(m.error);
        } else if (m.op === 'subscribe' || m.op === 'plot') {
          plot.problem = m.error;
          plot.needDraw = true;
          notice(m.error);
        } else {
          notice(m.error);
        }
        break;
      default: break;
    }
  }

  /* ---------- formatting ---------- */

  function fmtNum(x) {
    if (x === null || x === undefined || !isFinite(x)) return '–';
    const a = Math.abs(x);
    if (a === 0) return '0';
    if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
    if (a >= 100) return x.toFixed(0);
    if (a >= 10) return x.toFixed(1);
    return x.toPrecision(3);
  }
  function fmtRate(r) {
    if (r === null || r === undefined || r < 0) return '–';
    return r < 10 ? r.toFixed(1) : r.toFixed(0);
  }
  function fmtCount(n) {
    if (!(n >= 0)) return '–';
    if (n < 1e4) return String(n);
    if (n < 1e6) return (n / 1e3).toFixed(1) + 'k';
    if (n < 1e9) return (n / 1e6).toFixed(1) + 'M';
    return (n / 1e9).toFixed(1) + 'G';
  }
  function fmtUs(us) {
    if (us === null || us === undefined || us < 0) return '–';
    if (us < 1000) return us.toFixed(0) + ' µs';
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + ' ms';
    return (us / 1e6).toFixed(2) + ' s';
  }
  function fmtUptime(s) {
    if (!(s >= 0)) return '';
    if (s < 60) return s.toFixed(0) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function p50(arr) {
    if (!arr.length) return null;
    const s = arr.slice().sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
  function svgEl(tag, attrs, parent) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  /* ---------- graphs ---------- */

  const NODE_W = 176, NODE_H = 62, GAP_X = 52, GAP_Y = 10, GROUP_GAP = 30, PAD = 20;
  const RECENT_MS = 5000; // drops or errors this recent colour a node
  const graphViews = new Map(); // graph name -> view
  let selected = null;          // {graph, node}

  function structureKey(g) {
    return JSON.stringify([g.nodes.map((n) => [n.name, n.type, n.group, n.stream]), g.edges]);
  }

  function renderGraphs(list) {
    $('graphs-empty').hidden = list.length > 0;
    const seen = new Set();
    for (const g of list) {
      g.nodes = g.nodes || [];
      g.edges = g.edges || [];
      seen.add(g.name);
      let v = graphViews.get(g.name);
      if (!v) {
        v = createGraphView(g.name);
        graphViews.set(g.name, v);
      }
      const key = structureKey(g);
      if (v.key !== key) {
        v.key = key;
        drawGraph(v, g);
      }
      updateGraph(v, g);
    }
    for (const [name, v] of graphViews) {
      if (!seen.has(name)) {
        v.el.remove();
        graphViews.delete(name);
      }
    }
  }

  function createGraphView(name) {
    const el = document.createElement('div');
    el.className = 'graph';
    el.dataset.graph = name;
    const head = document.createElement('div');
    head.className = 'graph-head';
    const nm = document.createElement('span');
    nm.className = 'graph-name';
    nm.textContent = name;
    const state = document.createElement('span');
    state.className = 'graph-state';
    const meta = document.createElement('span');
    meta.className = 'graph-meta';
    const stop = document.createElement('button');
    stop.type = 'button';
    stop.className = 'graph-stop';
    stop.textContent = 'stop graph';
    stop.title = 'stop this graph as Ctrl-C would (ezc stop ' + name + ')';
    stop.onclick = () => {
      if (!stop.classList.contains('confirm')) {
        stop.classList.add('confirm');
        stop.textContent = 'click again to stop';
        setTimeout(() => { stop.classList.remove('confirm'); stop.textContent = 'stop graph'; }, 3000);
        return;
      }
      stop.disabled = true;
      request({ op: 'stop', graph: name }, (r) => {
        stop.disabled = false;
        notice(r.ok ? 'graph ' + name + ': stopping' : 'stop ' + name + ': ' + r.error);
      });
    };
    head.append(nm, state, meta, stop);
    const svg = svgEl('svg', { class: 'graph-svg' });
    el.append(head, svg);
    $('graphs').appendChild(el);
    return { el, svg, state, meta, stop, key: null, nodes: new Map(), recent: new Map() };
  }

  /* Layers by longest path from the sources (Kahn's order); within a layer,
     nodes of one process group stay together, ordered by the mean position
     of their predecessors to keep edges from crossing. */
  function layout(g) {
    const n = g.nodes.length;
    const idx = new Map(g.nodes.map((nd, i) => [nd.name, i]));
    const succ = g.nodes.map(() => []);
    const pred = g.nodes.map(() => []);
    for (const e of g.edges) {
      const a = idx.get(e.from), b = idx.get(e.to);
      if (a === undefined || b === undefined || a === b) continue;
      succ[a].push(b);
      pred[b].push(a);
    }
    const indeg = pred.map((p) => p.length);
    const layer = new Array(n).fill(0);
    const order = [];
    const queue = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
    while (queue.length) {
      const i = queue.shift();
      order.push(i);
      for (const j of succ[i]) {
        layer[j] = Math.max(layer[j], layer[i] + 1);
        if (--indeg[j] === 0) queue.push(j);
      }
    }
    const placed = new Set(order);
    for (let i = 0; i < n; i++) if (!placed.has(i)) order.push(i); // in a cycle
    const groupRank = new Map();
    for (const nd of g.nodes) {
      const gr = nd.group || 'main';
      if (!groupRank.has(gr)) groupRank.set(gr, groupRank.size);
    }
    const layers = [];
    for (const i of order) (layers[layer[i]] = layers[layer[i]] || []).push(i);
    const pos = new Array(n).fill(0);
    const bary = (i) => (pred[i].length ? pred[i].reduce((s, p) => s + pos[p], 0) / pred[i].length : i);
    const xy = new Array(n);
    let height = 0;
    const heights = [];
    for (let li = 0; li < layers.length; li++) {
      const L = layers[li] || [];
      const rank = (i) => groupRank.get(g.nodes[i].group || 'main');
      L.sort((a, b) => rank(a) - rank(b) || bary(a) - bary(b) || a - b);
      let y = 0;
      L.forEach((i, k) => {
        pos[i] = k;
        if (k > 0) y += rank(i) !== rank(L[k - 1]) ? GROUP_GAP : GAP_Y;
        xy[i] = { x: PAD + li * (NODE_W + GAP_X), y };
        y += NODE_H;
      });
      heights[li] = y;
      height = Math.max(height, y);
    }
    // room above for the group boxes' labels, when they are drawn
    const groups = groupRank.size > 1 || !groupRank.has('main');
    const top = groups ? PAD + 4 : 6, bottom = groups ? 12 : 6;
    for (let li = 0; li < layers.length; li++) {
      const off = top + (height - heights[li]) / 2;
      for (const i of layers[li] || []) xy[i].y += off;
    }
    return { xy, width: 2 * PAD + layers.length * NODE_W + Math.max(0, layers.length - 1) * GAP_X,
             height: height + top + bottom, groups: groupRank, showGroups: groups };
  }

  function drawGraph(v, g) {
    const svg = v.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    v.nodes.clear();
    const L = layout(g);
    svg.setAttribute('width', L.width);
    svg.setAttribute('height', L.height);
    svg.setAttribute('viewBox', '0 0 ' + L.width + ' ' + L.height);
    const defs = svgEl('defs', {}, svg);
    const marker = svgEl('marker', { id: 'arrow-' + v.el.dataset.graph.replace(/[^A-Za-z0-9_-]/g, '_'),
                                     viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7,
                                     markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#78909c' }, marker);

    if (L.showGroups) {
      for (const gr of L.groups.keys()) {
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        g.nodes.forEach((nd, i) => {
          if ((nd.group || 'main') !== gr) return;
          x0 = Math.min(x0, L.xy[i].x); y0 = Math.min(y0, L.xy[i].y);
          x1 = Math.max(x1, L.xy[i].x + NODE_W); y1 = Math.max(y1, L.xy[i].y + NODE_H);
        });
        const box = svgEl('g', { class: 'group', 'data-group': gr }, svg);
        svgEl('rect', { x: x0 - 8, y: y0 - 16, width: x1 - x0 + 16, height: y1 - y0 + 24, rx: 6 }, box);
        svgEl('text', { x: x0 - 2, y: y0 - 5 }, box).textContent = 'process ' + gr;
      }
    }
    const idx = new Map(g.nodes.map((nd, i) => [nd.name, i]));
    for (const e of g.edges) {
      const a = idx.get(e.from), b = idx.get(e.to);
      if (a === undefined || b === undefined) continue;
      const x1 = L.xy[a].x + NODE_W, y1 = L.xy[a].y + NODE_H / 2;
      const x2 = L.xy[b].x, y2 = L.xy[b].y + NODE_H / 2;
      const dx = Math.max(30, Math.abs(x2 - x1) / 2);
      svgEl('path', { class: 'edge', 'data-from': e.from, 'data-to': e.to,
                      d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`,
                      'marker-end': 'url(#' + marker.id + ')' }, svg);
    }
    g.nodes.forEach((nd, i) => {
      const el = svgEl('g', { class: 'node', 'data-node': nd.name, 'data-graph': g.name,
                              'data-type': nd.type,
                              transform: `translate(${L.xy[i].x},${L.xy[i].y})` }, svg);
      if (nd.stream) el.dataset.stream = nd.stream;
      svgEl('rect', { class: 'box', width: NODE_W, height: NODE_H, rx: 4 }, el);
      const t = (cls, x, y, anchor) =>
        svgEl('text', { class: cls, x, y, 'text-anchor': anchor || 'start' }, el);
      const nodeV = {
        el,
        title: svgEl('title', {}, el),
        name: t('name', 8, 15),
        type: t('type', NODE_W - 8, 15, 'end'),
        rate: t('m rate', 8, 29),
        drops: t('m drops', 8, 42),
        errs: t('m errs', 76, 42),
        stream: t('stream', NODE_W - 8, 42, 'end'),
        lat: t('m lat', 8, 55),
      };
      nodeV.name.textContent = nd.name;
      nodeV.type.textContent = nd.type;
      nodeV.stream.textContent = nd.stream ? '◉ plot' : '';
      el.setAttribute('tabindex', '0');
      el.addEventListener('click', () => selectNode(g.name, nd.name, el.dataset.stream || null));
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          selectNode(g.name, nd.name, el.dataset.stream || null);
        }
      });
      if (selected && selected.graph === g.name && selected.node === nd.name) el.classList.add('selected');
      v.nodes.set(nd.name, nodeV);
    });
  }

  function updateGraph(v, g) {
    const stopped = g.state === 'stopped';
    v.el.classList.toggle('stopped', stopped);
    v.state.textContent = stopped ? 'stopped' : 'running';
    v.state.dataset.state = stopped ? 'stopped' : 'running';
    v.meta.textContent = 'pid ' + g.pid + (stopped ? '' : ' · up ' + fmtUptime(g.uptime_s));
    v.stop.hidden = stopped;
    const now = performance.now();
    for (const nd of g.nodes) {
      const nv = v.nodes.get(nd.name);
      if (!nv) continue;
      let r = v.recent.get(nd.name);
      if (!r) {
        r = { drops: 0, errors: 0, tDrop: -Infinity, tErr: -Infinity };
        v.recent.set(nd.name, r);
      }
      if (nd.drops > r.drops) r.tDrop = now;
      if (nd.errors > r.errors) r.tErr = now;
      r.drops = nd.drops;
      r.errors = nd.errors;
      let cls = 'ok';
      if (stopped || nd.state === 'ended') cls = 'ended';
      else if (nd.state === 'failed' || now - r.tErr < RECENT_MS ||
               (nd.messages > 0 && nd.errors >= nd.messages)) cls = 'bad';
      else if (now - r.tDrop < RECENT_MS) cls = 'warn';
      nv.el.classList.remove('ok', 'warn', 'bad', 'ended');
      nv.el.classList.add(cls);
      nv.el.dataset.state = stopped ? 'stopped' : nd.state;
      nv.rate.textContent = fmtRate(nd.msg_s) + ' msg/s · ' +
        (nd.mb_s >= 0.1 ? fmtNum(nd.mb_s) + ' MB/s' : fmtNum(nd.mb_s * 1000) + ' kB/s');
      nv.drops.textContent = 'drops ' + fmtCount(nd.drops);
      nv.errs.textContent = 'errors ' + fmtCount(nd.errors) +
                            (nd.restarts ? ' · restarts ' + fmtCount(nd.restarts) : '');
      nv.lat.textContent = 'lat ' + fmtUs(nd.latency_p50_us) + ' / ' + fmtUs(nd.latency_p99_us) +
                           ' · cpu ' + (nd.cpu_pct >= 0 ? nd.cpu_pct.toFixed(0) + '%' : '–');
      nv.type.textContent = stopped || nd.state === 'running' ? nd.type : nd.type + ' · ' + nd.state;
      nv.title.textContent = nd.name + ' (' + nd.type + ', process ' + (nd.group || 'main') + '): ' +
        nd.state + ', ' + nd.messages + ' messages; latency since the source p50 / p99; cpu of its thread' +
        (nd.last_error ? '\nlast error: ' + nd.last_error : '');
    }
  }

  function selectNode(graph, node, stream) {
    selected = { graph, node };
    for (const v of graphViews.values()) {
      for (const [name, nv] of v.nodes) {
        nv.el.classList.toggle('selected', v.el.dataset.graph === graph && name === node);
      }
    }
    requestSchema(graph, node);
    if (stream) subscribe(stream);
  }

  /* ---------- streams ---------- */

  const streamsByName = new Map();

  function renderStreams(list) {
    const ul = $('streams');
    $('streams-empty').hidden = list.length > 0;
    const seen = new Set();
    for (const s of list) {
      seen.add(s.name);
      let li = ul.querySelector(`li[data-stream="${CSS.escape(s.name)}"]`);
      if (!li) {
        li = document.createElement('li');
        li.dataset.stream = s.name;
        const nm = document.createElement('span');
        nm.className = 'sname';
        nm.textContent = s.name;
        nm.title = s.endpoint + ' (pid ' + s.pid + '): click to plot';
        nm.onclick = () => subscribe(s.name);
        const path = document.createElement('span');
        path.className = 'recpath';
        const rec = document.createElement('button');
        rec.type = 'button';
        rec.className = 'rec';
        rec.onclick = () => toggleRecord(li.dataset.stream);
        li.append(nm, path, rec);
        ul.appendChild(li);
      }
      streamsByName.set(s.name, s);
      li.classList.toggle('selected', s.name === plot.stream);
      const rec = li.querySelector('button.rec');
      rec.classList.toggle('on', !!s.recording);
      rec.textContent = s.recording ? '■ stop' : '● rec';
      rec.title = s.recording ? 'stop recording ' + s.recording : 'record this stream';
      const path = li.querySelector('.recpath');
      path.textContent = s.recording || '';
      path.title = s.recording || '';
    }
    for (const li of Array.from(ul.children)) {
      if (!seen.has(li.dataset.stream)) {
        streamsByName.delete(li.dataset.stream);
        li.remove();
      }
    }
    updateRecordButton();
  }

  function toggleRecord(name) {
    const s = streamsByName.get(name);
    const on = !(s && s.recording);
    request({ op: 'record', stream: name, on }, (r) => {
      if (!r.ok) {
        notice('record ' + name + ': ' + r.error);
        return;
      }
      if (s) s.recording = on ? (r.path || 'recording') : null;
      notice(on ? 'recording ' + name + ' to ' + (r.path || '?') : 'stopped recording ' + name +
             (r.path ? ' (' + r.path + ')' : ''));
      renderStreams(Array.from(streamsByName.values()));
    });
  }

  function updateRecordButton() {
    const b = $('plot-record');
    const s = plot.stream ? streamsByName.get(plot.stream) : null;
    b.disabled = !plot.stream;
    b.classList.toggle('on', !!(s && s.recording));
    b.textContent = s && s.recording ? '■ stop recording' : '● record';
  }

  /* ---------- settings form ---------- */

  let settingsFor = null;     // {graph, node}
  let awaitingSchema = false;

  function requestSchema(graph, node) {
    settingsFor = { graph, node };
    awaitingSchema = true;
    send({ op: 'schema', graph, node });
  }

  function clearSettings() {
    const box = $('settings');
    for (const el of Array.from(box.children)) if (el.tagName !== 'H2') el.remove();
    return box;
  }

  function showSettingsError(text) {
    awaitingSchema = false;
    const p = document.createElement('p');
    p.className = 'field-error';
    p.textContent = text;
    clearSettings().appendChild(p);
  }

  function renderSchema(m) {
    if (!settingsFor || m.graph !== settingsFor.graph || m.node !== settingsFor.node) return;
    awaitingSchema = false;
    const box = clearSettings();
    const form = document.createElement('form');
    form.dataset.graph = m.graph;
    form.dataset.node = m.node;
    form.noValidate = true;
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = m.node + ' ';
    const sub = document.createElement('span');
    sub.textContent = m.node_type + ' · graph ' + m.graph;
    title.appendChild(sub);
    form.appendChild(title);
    if (!m.settings || !m.settings.length) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = 'This node has no settings.';
      form.appendChild(p);
    }
    for (const s of m.settings || []) form.appendChild(makeField(s));
    const formError = document.createElement('div');
    formError.className = 'field-error form-error';
    const actions = document.createElement('div');
    actions.className = 'form-actions';
    const apply = document.createElement('button');
    apply.type = 'submit';
    apply.textContent = 'Apply';
    const revert = document.createElement('button');
    revert.type = 'button';
    revert.textContent = 'Revert';
    revert.style.marginLeft = '6px';
    revert.onclick = () => {
      for (const inp of form.querySelectorAll('[data-setting]')) inp.value = inp.dataset.initial;
      markChanged(form);
    };
    const status = document.createElement('span');
    status.className = 'form-status';
    actions.append(apply, revert, status);
    form.append(formError, actions);
    form.addEventListener('input', () => markChanged(form));
    form.addEventListener('change', () => markChanged(form));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      applySettings(form, status, formError);
    });
    box.appendChild(form);
  }

  function makeField(s) {
    const f = document.createElement('div');
    f.className = 'field';
    f.dataset.field = s.name;
    const label = document.createElement('label');
    const id = 'set-' + s.name;
    label.htmlFor = id;
    const nm = document.createElement('span');
    nm.textContent = s.name;
    const ty = document.createElement('span');
    ty.className = 'ftype';
    ty.textContent = (s.type || '') + (s.required ? ', required' : '') +
      (s.default !== null && s.default !== undefined && s.default !== '' ? ' · default ' + s.default : '');
    label.append(nm, ty);
    const current = s.value !== null && s.value !== undefined ? String(s.value)
      : (s.default !== null && s.default !== undefined ? String(s.default) : '');
    let input;
    const choices = Array.isArray(s.choices) && s.choices.length ? s.choices.map(String)
      : (s.type === 'bool' ? ['true', 'false'] : null);
    if (choices) {
      input = document.createElement('select');
      if (!choices.includes(current)) choices.unshift(current);
      for (const c of choices) {
        const o = document.createElement('option');
        o.value = c;
        o.textContent = c === '' ? '(unset)' : c;
        input.appendChild(o);
      }
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.spellcheck = false;
      if (s.default !== null && s.default !== undefined) input.placeholder = String(s.default);
    }
    input.id = id;
    input.name = s.name;
    input.dataset.setting = s.name;
    input.value = current;
    input.dataset.initial = current;
    const err = document.createElement('div');
    err.className = 'field-error';
    f.append(label, input);
    if (s.doc) {
      const d = document.createElement('div');
      d.className = 'doc';
      d.textContent = s.doc;
      f.appendChild(d);
    }
    f.appendChild(err);
    return f;
  }

  function markChanged(form) {
    for (const inp of form.querySelectorAll('[data-setting]')) {
      inp.closest('.field').classList.toggle('changed', inp.value !== inp.dataset.initial);
    }
  }

  function applySettings(form, status, formError) {
    const settings = {};
    let n = 0;
    for (const inp of form.querySelectorAll('[data-setting]')) {
      if (inp.value !== inp.dataset.initial) {
        settings[inp.dataset.setting] = inp.value;
        n++;
      }
    }
    for (const f of form.querySelectorAll('.field')) {
      f.classList.remove('invalid');
      f.querySelector('.field-error').textContent = '';
    }
    formError.textContent = '';
    if (!n) {
      status.textContent = 'nothing changed';
      return;
    }
    status.textContent = 'applying…';
    request({ op: 'set', graph: form.dataset.graph, node: form.dataset.node, settings }, (r) => {
      if (r.ok) {
        status.textContent = 'applied' + (r.state ? ' (' + r.state + ')' : '');
        for (const inp of form.querySelectorAll('[data-setting]')) inp.dataset.initial = inp.value;
        markChanged(form);
        return;
      }
      status.textContent = '';
      const msg = r.error || 'refused';
      const m = /setting '([^']+)'/.exec(msg);
      const field = m ? form.querySelector(`.field[data-field="${CSS.escape(m[1])}"]`) : null;
      if (field) {
        field.classList.add('invalid');
        field.querySelector('.field-error').textContent = msg;
      } else {
        formError.textContent = msg;
      }
    });
  }

  /* ---------- plot ---------- */

  const plot = {
    stream: null,
    mode: 'auto',
    window: 5,
    paused: false,
    autoscale: true,
    pending: null,       // newest frame not drawn yet
    frame: null,         // frame on screen
    lastFrameAt: 0,
    problem: null,       // what the server said about this plot
    needDraw: false,
    lo: null, hi: null,  // displayed value range (autoscaled)
    trail: [],           // 2-D cursor history
    columns: 0,
    dpr: 1, W: 0, H: 0,  // canvas size in device pixels
  };
  const M = { l: 64, r: 64, t: 8, b: 24 }; // plot margins, CSS px
  const canvas = $('plot-canvas');
  const ctx = canvas.getContext('2d', { alpha: false });
  const offscreen = document.createElement('canvas');
  const offctx = offscreen.getContext('2d');
  const decoder = new TextDecoder();

  function plotRect() {
    const d = plot.dpr;
    const x = Math.round(M.l * d), y = Math.round(M.t * d);
    return { x, y, w: Math.max(1, plot.W - x - Math.round(M.r * d)),
             h: Math.max(1, plot.H - y - Math.round(M.b * d)) };
  }

  function wantedColumns() {
    return Math.max(16, Math.min(4096, plotRect().w));
  }

  function subscribe(stream) {
    plot.stream = stream;
    plot.frame = null;
    plot.pending = null;
    plot.lo = plot.hi = null;
    plot.trail = [];
    plot.problem = null;
    $('plot-title').textContent = stream;
    $('plot-hint').hidden = true;
    for (const li of $('streams').children) li.classList.toggle('selected', li.dataset.stream === stream);
    updateRecordButton();
    sendSubscribe();
    plot.needDraw = true;
  }

  function sendSubscribe() {
    plot.columns = wantedColumns();
    send({ op: 'subscribe', stream: plot.stream, window_s: plot.window,
           columns: plot.columns, mode: plot.mode });
  }

  function onBinary(buf) {
    dash.frames++;
    const len = buf.byteLength;
    if (len < 4) { dash.badFrames++; return; }
    const hl = new DataView(buf).getUint32(0, true);
    if (4 + hl > len) { dash.badFrames++; return; }
    let h;
    try {
      h = JSON.parse(decoder.decode(new Uint8Array(buf, 4, hl)));
    } catch (e) {
      dash.badFrames++;
      return;
    }
    const off = 4 + ((hl + 3) & ~3);
    const n = Math.max(0, Math.floor((len - off) / 4));
    const values = off <= len ? new Float32Array(buf, off, n) : new Float32Array(0);
    if (h.stream !== plot.stream) return; // from a subscription we left
    plot.pending = { h, v: values };
    plot.problem = null;
    plot.lastFrameAt = performance.now();
  }

  function resizeCanvas() {
    const r = canvas.getBoundingClientRect();
    const d = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(r.width * d)), H = Math.max(1, Math.round(r.height * d));
    if (W === plot.W && H === plot.H && d === plot.dpr) return;
    plot.W = canvas.width = W;
    plot.H = canvas.height = H;
    plot.dpr = d;
    plot.needDraw = true;
    if (plot.stream && Math.abs(wantedColumns() - plot.columns) > 2) {
      clearTimeout(resizeCanvas.timer);
      resizeCanvas.timer = setTimeout(sendSubscribe, 250);
    }
  }
  new ResizeObserver(resizeCanvas).observe($('plot-area'));

  function tick() {
    requestAnimationFrame(tick);
    if (plot.pending && !plot.paused) {
      plot.frame = plot.pending;
      plot.pending = null;
      drawFrame(true);
    } else if (plot.needDraw) {
      drawFrame(false);
    }
  }
  requestAnimationFrame(tick);

  const drawTimes = []; // performance.now() of recent draws, for fps
  function drawFrame(isNew) {
    plot.needDraw = false;
    const t0 = performance.now();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, plot.W, plot.H);
    const f = plot.frame;
    if (f) {
      const mode = f.h.mode;
      if (mode === 'traces') drawTraces(f.h, f.v);
      else if (mode === 'spectrum') drawSpectrum(f.h, f.v);
      else if (mode === 'heatmap') drawHeatmap(f.h, f.v);
      else if (mode === 'scalars') drawScalars(f.h, f.v);
      else message('cannot draw mode ' + mode);
    } else if (plot.problem) {
      message(plot.problem);
    }
    const t1 = performance.now();
    if (!isNew || !f) return;
    dash.drawn++;
    dash.lastHeader = f.h;
    dash.lastValues = f.v;
    push(dash.frameTimes, t1 - t0);
    dash.frameTimeP50Ms = p50(dash.frameTimes);
    if (f.h.src_ts_ns) {
      const wallMs = performance.timeOrigin + t1;
      push(dash.latencies, wallMs - f.h.src_ts_ns / 1e6);
      dash.latencyP50Ms = p50(dash.latencies);
    }
    drawTimes.push(t1);
    while (drawTimes.length && drawTimes[0] < t1 - 1000) drawTimes.shift();
  }
  function push(arr, x) {
    arr.push(x);
    if (arr.length > 300) arr.shift();
  }

  /* Range of the finite values; the displayed range follows it (grows at
     once, shrinks slowly) unless autoscale is off. */
  function valueRange(v, n) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (lo > hi) return null;
    dash.lastRange = [lo, hi];
    return [lo, hi];
  }
  function followRange(r) {
    if (!r) return;
    let [lo, hi] = r;
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    if (plot.lo === null) { plot.lo = lo; plot.hi = hi; return; }
    if (!plot.autoscale) return;
    plot.lo = lo < plot.lo ? lo : plot.lo + (lo - plot.lo) * 0.08;
    plot.hi = hi > plot.hi ? hi : plot.hi + (hi - plot.hi) * 0.08;
  }

  function niceStep(span, target) {
    const raw = span / Math.max(1, target);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function fmtTick(x, step) {
    const dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return Math.abs(x) < step / 2 ? '0' : x.toFixed(dec);
  }

  const PALETTE = ['#1f5fa6', '#c0392b', '#2e7d32', '#8e44ad', '#d35400', '#00838f', '#6d4c41', '#37474f'];
  const PALETTE32 = PALETTE.map((c) => rgba32(parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16),
                                              parseInt(c.slice(5, 7), 16)));
  function rgba32(r, g, b) { return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0; }
  const BG32 = rgba32(255, 255, 255);
  const GRID32 = rgba32(232, 235, 238);

  let img = null, img32 = null;
  function imageFor(w, h) {
    if (!img || img.width !== w || img.height !== h) {
      img = ctx.createImageData(w, h);
      img32 = new Uint32Array(img.data.buffer);
    }
    return img32;
  }

  /* Axis text and frame, drawn in CSS pixels over the raster. */
  function cssCtx() {
    ctx.setTransform(plot.dpr, 0, 0, plot.dpr, 0, 0);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#37474f';
    ctx.strokeStyle = '#b0bec5';
    ctx.lineWidth = 1;
  }
  function frameBox(R) {
    const d = plot.dpr;
    ctx.strokeRect(R.x / d + 0.5, R.y / d + 0.5, R.w / d - 1, R.h / d - 1);
  }

  /* Time ticks for a column axis that ends at the newest sample (0 s). */
  function timeTicks(h, R) {
    const span = h.cols * h.dx;
    if (!(span > 0)) return [];
    const step = niceStep(span, Math.max(2, Math.floor(R.w / plot.dpr / 90)));
    const ticks = [];
    for (let t = 0; t >= -span + 1e-9; t -= step) {
      ticks.push({ t, x: Math.round((1 + t / span) * (R.w - 1)),
                   label: fmtTick(t, step) + ' ' + (h.unit || 's') });
    }
    return ticks;
  }
  function drawXTicks(ticks, R) {
    const d = plot.dpr;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const tk of ticks) {
      const x = (R.x + tk.x) / d;
      ctx.beginPath();
      ctx.moveTo(x, (R.y + R.h) / d);
      ctx.lineTo(x, (R.y + R.h) / d + 4);
      ctx.stroke();
      ctx.fillText(tk.label, Math.min(Math.max(x, R.x / d + 12), (R.x + R.w) / d - 12), (R.y + R.h) / d + 6);
    }
  }
  function message(text) {
    cssCtx();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(text, 16, 12);
  }
  function expect(h, v, n) {
    if (v.length >= n) return true;
    message('frame too short: ' + v.length + ' values for ' + n);
    return false;
  }

  /* A stream slower than the columns leaves NaN between the columns that
     hold data; gaps up to twice their usual spacing (row 0) are bridged, a
     longer one (the stream stalled) stays empty. */
  function gapLimit(v, cols, stride) {
    const diffs = [];
    let last = -1;
    for (let c = 0; c < cols && diffs.length < 64; c++) {
      const x = v[c * stride];
      if (x !== x) continue;
      if (last >= 0) diffs.push(c - last);
      last = c;
    }
    if (!diffs.length) return 1;
    diffs.sort((a, b) => a - b);
    return Math.max(1, Math.ceil(2 * diffs[diffs.length >> 1]));
  }

  function drawTraces(h, v) {
    const rows = h.rows | 0, cols = h.cols | 0;
    if (!rows || !cols || !expect(h, v, rows * cols * 2)) return;
    followRange(valueRange(v, rows * cols * 2));
    const R = plotRect();
    const u = imageFor(R.w, R.h);
    u.fill(BG32);
    const ticks = timeTicks(h, R);
    for (const tk of ticks) for (let y = 0, i = tk.x; y < R.h; y++, i += R.w) u[i] = GRID32;
    const laneH = R.h / rows;
    const mid = (plot.lo + plot.hi) / 2;
    const gain = (laneH * 0.95) / (plot.hi - plot.lo);
    const xs = new Int32Array(cols + 1);
    for (let c = 0; c <= cols; c++) xs[c] = Math.floor((c * R.w) / cols);
    const ymax = R.h - 1;
    const lim = gapLimit(v, cols, 2);
    let color = 0, cy = 0;
    const span = (c, a, b) => { // column c covers values a..b
      let y0 = Math.round(cy - b * gain), y1 = Math.round(cy - a * gain);
      if (y0 < 0) y0 = 0;
      if (y1 > ymax) y1 = ymax;
      const x0 = xs[c];
      const x1 = xs[c + 1] > x0 ? xs[c + 1] : x0 + 1;
      for (let y = y0; y <= y1; y++) {
        const row = y * R.w;
        for (let x = x0; x < x1; x++) u[row + x] = color;
      }
    };
    for (let r = 0; r < rows; r++) {
      color = PALETTE32[r % PALETTE32.length];
      cy = (r + 0.5) * laneH + mid * gain;
      const base = r * cols * 2;
      let pmin = NaN, pmax = NaN, lastC = -cols;
      for (let c = 0; c < cols; c++) {
        const mn = v[base + 2 * c], mx = v[base + 2 * c + 1];
        if (mn !== mn || mx !== mx) continue;
        const gap = c - lastC;
        if (gap > lim) {
          pmin = pmax = NaN;
        } else if (gap > 1) { // a line across the empty columns
          const p = (pmin + pmax) / 2, q = (mn + mx) / 2;
          for (let k = lastC + 1; k < c; k++) {
            const a = p + ((q - p) * (k - lastC)) / gap, b = p + ((q - p) * (k + 1 - lastC)) / gap;
            span(k, a < b ? a : b, a < b ? b : a);
          }
          pmin = pmax = p + ((q - p) * (gap - 1)) / gap;
        }
        let a = mn, b = mx;
        if (pmax === pmax) { // join with the previous column
          if (pmax < a) a = pmax;
          if (pmin > b) b = pmin;
        }
        pmin = mn;
        pmax = mx;
        lastC = c;
        span(c, a, b);
      }
    }
    ctx.putImageData(img, R.x, R.y);
    cssCtx();
    frameBox(R);
    drawXTicks(ticks, R);
    // channel labels, thinned so they stay readable
    const d = plot.dpr;
    const every = Math.max(1, Math.ceil(12 / (laneH / d)));
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const labels = h.labels || [];
    for (let r = 0; r < rows; r += every) {
      ctx.fillStyle = PALETTE[r % PALETTE.length];
      ctx.fillText(String(labels[r] !== undefined ? labels[r] : 'ch' + r), R.x / d - 6,
                   (R.y + (r + 0.5) * laneH) / d);
    }
    // scale: the value span of one lane
    ctx.fillStyle = '#37474f';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const xr = (R.x + R.w) / d + 6;
    ctx.fillText('lane p-p', xr, R.y / d + 2);
    ctx.fillText(fmtNum((plot.hi - plot.lo) / 0.95), xr, R.y / d + 16);
  }

  function drawSpectrum(h, v) {
    const rows = h.rows | 0, cols = h.cols | 0;
    if (!rows || !cols || !expect(h, v, rows * cols)) return;
    followRange(valueRange(v, rows * cols));
    const R = plotRect();
    const d = plot.dpr;
    cssCtx();
    const X = (c) => (R.x + ((c + 0.5) * R.w) / cols) / d;
    const lo = Math.min(0, plot.lo), hi = plot.hi;
    const Y = (val) => (R.y + R.h - ((val - lo) / (hi - lo || 1)) * (R.h - 4)) / d;
    // y grid and ticks
    const ystep = niceStep(hi - lo, Math.max(2, Math.floor(R.h / d / 40)));
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.strokeStyle = '#e8ebee';
    for (let y = Math.ceil(lo / ystep) * ystep; y <= hi; y += ystep) {
      ctx.beginPath();
      ctx.moveTo(R.x / d, Y(y));
      ctx.lineTo((R.x + R.w) / d, Y(y));
      ctx.stroke();
      ctx.fillText(fmtNum(y), R.x / d - 6, Y(y));
    }
    // frequency ticks
    const f0 = h.x0 || 0, df = h.dx || 1;
    const fspan = cols * df;
    const fstep = niceStep(fspan, Math.max(2, Math.floor(R.w / d / 80)));
    const ticks = [];
    for (let fq = Math.ceil(f0 / fstep) * fstep; fq <= f0 + fspan; fq += fstep) {
      ticks.push({ x: Math.round(((fq - f0) / fspan) * R.w),
                   label: fmtTick(fq, fstep) + ' ' + (h.unit || 'Hz') });
    }
    ctx.strokeStyle = '#b0bec5';
    drawXTicks(ticks, R);
    ctx.lineWidth = rows > 16 ? 0.75 : 1.25;
    ctx.globalAlpha = rows > 16 ? 0.6 : 0.9;
    for (let r = 0; r < rows; r++) {
      ctx.strokeStyle = PALETTE[r % PALETTE.length];
      ctx.beginPath();
      let pen = false;
      for (let c = 0; c < cols; c++) {
        const val = v[r * cols + c];
        if (val !== val) { pen = false; continue; }
        const y = Math.max(R.y / d, Math.min((R.y + R.h) / d, Y(val)));
        if (pen) ctx.lineTo(X(c), y);
        else ctx.moveTo(X(c), y);
        pen = true;
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#b0bec5';
    frameBox(R);
    legend(h, rows, R);
  }

  function legend(h, rows, R) {
    const d = plot.dpr;
    const labels = h.labels || [];
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const shown = Math.min(rows, 12);
    for (let r = 0; r < shown; r++) {
      ctx.fillStyle = PALETTE[r % PALETTE.length];
      ctx.fillText(String(labels[r] !== undefined ? labels[r] : 'ch' + r),
                   (R.x + R.w) / d + 6, R.y / d + 2 + r * 13);
    }
    if (rows > shown) {
      ctx.fillStyle = '#6a737d';
      ctx.fillText('+' + (rows - shown) + ' more', (R.x + R.w) / d + 6, R.y / d + 2 + shown * 13);
    }
  }

  /* A perceptual-ish dark-blue -> teal -> yellow colour map, 256 entries. */
  const CMAP = (() => {
    const stops = [[13, 8, 135], [60, 60, 170], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const lut = new Uint32Array(256);
    const css = [];
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(stops.length - 2, Math.floor(t));
      const f = t - k;
      const c = [0, 1, 2].map((j) => Math.round(stops[k][j] + (stops[k + 1][j] - stops[k][j]) * f));
      lut[i] = rgba32(c[0], c[1], c[2]);
      css.push(`rgb(${c[0]},${c[1]},${c[2]})`);
    }
    return { lut, css };
  })();
  let heatImg = null;

  function drawHeatmap(h, v) {
    const rows = h.rows | 0, cols = h.cols | 0;
    if (!rows || !cols || !expect(h, v, rows * cols)) return;
    followRange(valueRange(v, rows * cols));
    if (!heatImg || heatImg.width !== cols || heatImg.height !== rows) {
      offscreen.width = cols;
      offscreen.height = rows;
      heatImg = offctx.createImageData(cols, rows);
    }
    const u = new Uint32Array(heatImg.data.buffer);
    const lo = plot.lo, scale = 255 / (plot.hi - plot.lo || 1);
    const empty = rgba32(245, 246, 248);
    const lim = gapLimit(v, cols, 1);
    for (let r = 0; r < rows; r++) {
      const dst = (rows - 1 - r) * cols; // row 0 (lowest bin, first channel) at the bottom
      const src = r * cols;
      let held = empty, lastC = -cols;
      for (let c = 0; c < cols; c++) {
        const x = v[src + c];
        if (x !== x) { // empty column: the newer data's colour within a usual gap
          u[dst + c] = empty;
          continue;
        }
        let k = ((x - lo) * scale) | 0;
        if (k < 0) k = 0; else if (k > 255) k = 255;
        held = CMAP.lut[k];
        if (c - lastC > 1 && c - lastC <= lim) for (let j = lastC + 1; j < c; j++) u[dst + j] = held;
        u[dst + c] = held;
        lastC = c;
      }
    }
    offctx.putImageData(heatImg, 0, 0);
    const R = plotRect();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(offscreen, 0, 0, cols, rows, R.x, R.y, R.w, R.h);
    cssCtx();
    frameBox(R);
    drawXTicks(timeTicks(h, R), R);
    const d = plot.dpr;
    const labels = h.labels || [];
    const rowH = R.h / d / rows;
    const every = Math.max(1, Math.ceil(14 / rowH));
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < rows; r += every) {
      ctx.fillText(String(labels[r] !== undefined ? labels[r] : r), R.x / d - 6,
                   (R.y + R.h) / d - (r + 0.5) * rowH);
    }
    // colour bar
    const bx = (R.x + R.w) / d + 10, by = R.y / d, bh = R.h / d;
    for (let i = 0; i < 64; i++) {
      ctx.fillStyle = CMAP.css[Math.round(((63 - i) / 63) * 255)];
      ctx.fillRect(bx, by + (i * bh) / 64, 10, bh / 64 + 1);
    }
    ctx.fillStyle = '#37474f';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(fmtNum(plot.hi), bx + 13, by);
    ctx.textBaseline = 'bottom';
    ctx.fillText(fmtNum(plot.lo), bx + 13, by + bh);
  }

  function drawScalars(h, v) {
    const rows = h.rows | 0;
    if (!rows || !expect(h, v, rows)) return;
    const r = valueRange(v, rows);
    const d = plot.dpr;
    const Wc = plot.W / d, Hc = plot.H / d;
    const labels = h.labels || [];
    const label = (i) => String(labels[i] !== undefined ? labels[i] : 'ch' + i);
    cssCtx();
    let listX = 24;
    if (rows === 2) {
      plot.trail.push([v[0], v[1]]);
      if (plot.trail.length > 150) plot.trail.shift();
      let m = 0;
      for (const [a, b] of plot.trail) m = Math.max(m, Math.abs(a), Math.abs(b));
      followRange([-m, m]);
      const ext = Math.max(Math.abs(plot.lo), Math.abs(plot.hi)) * 1.1 || 1;
      const size = Math.min(Hc - 40, Wc / 2 - 40);
      const ox = 40, oy = 16;
      const P = (a, b) => [ox + ((a / ext + 1) / 2) * size, oy + ((1 - b / ext) / 2) * size];
      ctx.strokeStyle = '#b0bec5';
      ctx.strokeRect(ox + 0.5, oy + 0.5, size, size);
      ctx.strokeStyle = '#e8ebee';
      ctx.beginPath();
      ctx.moveTo(ox + size / 2, oy);
      ctx.lineTo(ox + size / 2, oy + size);
      ctx.moveTo(ox, oy + size / 2);
      ctx.lineTo(ox + size, oy + size / 2);
      ctx.stroke();
      ctx.fillStyle = '#37474f';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(label(0) + ' (±' + fmtNum(ext) + ')', ox + size / 2, oy + size + 4);
      ctx.save();
      ctx.translate(ox - 8, oy + size / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'bottom';
      ctx.fillText(label(1), 0, 0);
      ctx.restore();
      ctx.strokeStyle = 'rgba(31,95,166,0.35)';
      ctx.beginPath();
      plot.trail.forEach(([a, b], i) => {
        const [x, y] = P(a, b);
        if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      });
      ctx.stroke();
      const [cx, cy] = P(v[0], v[1]);
      ctx.fillStyle = '#c0392b';
      ctx.beginPath();
      ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
      ctx.fill();
      listX = ox + size + 40;
    } else if (r) {
      followRange([Math.min(0, r[0]), Math.max(0, r[1])]);
    }
    // the values, with a bar each
    const shown = Math.min(rows, Math.floor((Hc - 16) / 20));
    const ext = Math.max(Math.abs(plot.lo || 0), Math.abs(plot.hi || 0)) || 1;
    const barW = Math.min(320, Math.max(40, Wc - listX - 200));
    ctx.textBaseline = 'middle';
    for (let i = 0; i < shown; i++) {
      const y = 20 + i * 20;
      ctx.fillStyle = '#37474f';
      ctx.textAlign = 'right';
      ctx.fillText(label(i), listX + 60, y);
      ctx.font = '13px ui-monospace, monospace';
      ctx.fillText(fmtNum(v[i]), listX + 160, y);
      ctx.font = '11px system-ui, sans-serif';
      const zero = listX + 180 + barW / 2;
      const w = (v[i] / ext) * (barW / 2);
      ctx.fillStyle = PALETTE[i % PALETTE.length];
      if (isFinite(w)) ctx.fillRect(Math.min(zero, zero + w), y - 6, Math.abs(w), 12);
      ctx.fillStyle = '#b0bec5';
      ctx.fillRect(zero, y - 8, 1, 16);
    }
    if (rows > shown) {
      ctx.fillStyle = '#6a737d';
      ctx.textAlign = 'left';
      ctx.fillText('+' + (rows - shown) + ' more', listX, 20 + shown * 20);
    }
  }

  /* ---------- toolbar and status ---------- */

  $('plot-mode').onchange = (e) => {
    plot.mode = e.target.value;
    plot.lo = plot.hi = null;
    if (plot.stream) sendSubscribe();
  };
  $('plot-window').onchange = (e) => {
    plot.window = Number(e.target.value);
    if (plot.stream) sendSubscribe();
  };
  $('plot-autoscale').onchange = (e) => { plot.autoscale = e.target.checked; };
  $('plot-pause').onclick = (e) => {
    plot.paused = !plot.paused;
    e.target.classList.toggle('on', plot.paused);
    e.target.textContent = plot.paused ? 'resume' : 'pause';
  };
  $('plot-record').onclick = () => { if (plot.stream) toggleRecord(plot.stream); };

  setInterval(() => {
    $('perf-latency').textContent = dash.latencyP50Ms === null ? '–' : dash.latencyP50Ms.toFixed(1) + ' ms';
    $('perf-frame').textContent =
      dash.frameTimeP50Ms === null ? '–' : dash.frameTimeP50Ms.toFixed(2) + ' ms';
    const now = performance.now();
    while (drawTimes.length && drawTimes[0] < now - 1000) drawTimes.shift();
    $('perf-fps').textContent = String(drawTimes.length);
    const f = plot.frame;
    let info = '';
    if (f) {
      const h = f.h;
      info = h.mode + ' · ' + h.rows + (h.mode === 'heatmap' ? ' rows' : ' ch') +
        (h.mode === 'scalars' ? '' : ' × ' + h.cols + ' col') +
        (h.mode === 'traces' || h.mode === 'heatmap' ? ' · ' + h.window_s + ' s' : '') + ' · #' + h.seq;
      const idle = (now - plot.lastFrameAt) / 1000;
      if (idle > 2) info += ' · no new data for ' + idle.toFixed(0) + ' s';
      if (h.missed > 0) { // faster than real time, or lost upstream: say so, never silently
        const all = h.received + h.missed;
        info += ' · shows ' + fmtCount(h.received) + ' of ' + fmtCount(all) + ' messages (' +
          (100 * h.received / all).toFixed(h.received / all > 0.1 ? 0 : 1) +
          ' %; the plot reads at most twice the real rate)';
      }
      if (plot.paused) info += ' · paused';
    } else if (plot.stream) {
      info = 'waiting for data…';
    }
    $('plot-info').textContent = info;
  }, 500);

  connect();
})();
