/* cmd_dash.c — `ezc dash`: runs the dashboard server, ezc-dash, a program
 * of its own (docs/dashboard.md) so that ezc itself needs no libwebsockets.
 * It is looked for beside this ezc (an install) and in the build tree's
 * tools/dash (ezc is in tools/ezc there). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int cmd_dash(int argc, char **argv);

int cmd_dash(int argc, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        const char *dir = dirname(self);
        static const char *const rel[] = {"ezc-dash", "../dash/ezc-dash"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, rel[i]);
            if (access(path, X_OK) == 0) {
                argv[0] = path; /* the options pass through as they are */
                execv(path, argv);
                fprintf(stderr, "ezc dash: %s: %s\n", path, strerror(errno));
                return 1;
            }
        }
    }
    (void)argc;
    fprintf(stderr, "ezc dash: this ezc was built without the dashboard (libwebsockets-dev "
                    "missing): install it, then run meson setup --reconfigure and ninja\n");
    return 1;
}

/* `ezc run --dash`: `ezc dash --port PORT` as a child of the run, in its
 * process group (a Ctrl-C reaches both), ended with SIGTERM when the run
 * ends and by the kernel if the run dies first. Its URL line goes to the
 * run's stdout. The child's pid, or -1 (a warning said why). */
int cli_dash_spawn(const char *port);
void cli_dash_end(int pid);

int cli_dash_spawn(const char *port)
{
    char *argv[] = {"ezc", "dash", "--port", (char *)(port ? port : "8765"), "--quiet", NULL};
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ezc run: --dash: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    return (int)pid;
}

void cli_dash_end(int pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 300; i++) { /* it stops within a second; 3 s at most */
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
