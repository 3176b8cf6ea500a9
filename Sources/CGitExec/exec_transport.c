// A libgit2 smart subtransport that speaks to `git upload-pack` / `git receive-pack` run as child processes
// over a socket pair: the stateful (RPC = 0) git protocol, as over ssh, without the network.

#include "orgsync_exec_transport.h"

#include <git2.h>

#include <git2/sys/transport.h>

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct exec_stream {
    git_smart_subtransport_stream parent;
    pid_t pid;
    int socket; // our end: the child's stdin and stdout are the other end
} exec_stream;

typedef struct {
    git_smart_subtransport parent;
    exec_stream *current;
} exec_subtransport;

/// The variables git clears before it runs a command in another repository (git's `local_repo_env`):
/// set while orgsync runs in a hook, they would point the child at the wrong repository.
static const char *const repository_variables[] = {
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR", "GIT_QUARANTINE_PATH", "GIT_PROTOCOL", NULL,
};

static int is_repository_variable(const char *entry) {
    for (const char *const *name = repository_variables; *name; name++) {
        size_t length = strlen(*name);
        if (strncmp(entry, *name, length) == 0 && entry[length] == '=') return 1;
    }
    return 0;
}

int orgsync_url_is_local(const char *url) {
    if (url == NULL || *url == '\0') return 0;
    if (strncmp(url, "file://", 7) == 0) return 1;
    // `scheme://…` and scp-like `host:path` are remote; a path with a ':' only after a '/' is local.
    const char *colon = strchr(url, ':');
    const char *slash = strchr(url, '/');
    return colon == NULL || (slash != NULL && slash < colon);
}

static const char *path_of(const char *url) {
    return strncmp(url, "file://", 7) == 0 ? url + 7 : url;
}

static int stream_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *bytes_read) {
    exec_stream *s = (exec_stream *)stream;
    ssize_t count;
    do {
        count = recv(s->socket, buffer, size, 0);
    } while (count < 0 && errno == EINTR);
    if (count < 0) {
        git_error_set(GIT_ERROR_OS, "cannot read from git: %s", strerror(errno));
        return -1;
    }
    *bytes_read = (size_t)count;
    return 0;
}

static int stream_write(git_smart_subtransport_stream *stream, const char *buffer, size_t length) {
    exec_stream *s = (exec_stream *)stream;
    while (length > 0) {
        // MSG_NOSIGNAL: a child that has exited is an error to report, not a SIGPIPE that kills orgsync.
        ssize_t count = send(s->socket, buffer, length, MSG_NOSIGNAL);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) {
            git_error_set(GIT_ERROR_OS, "cannot write to git: %s", strerror(errno));
            return -1;
        }
        buffer += count;
        length -= (size_t)count;
    }
    return 0;
}

/// Ends the child's input, waits for it and releases the stream. libgit2 frees a stream itself before it
/// closes the subtransport, so the subtransport forgets it here.
static void stream_free(git_smart_subtransport_stream *stream) {
    exec_stream *s = (exec_stream *)stream;
    exec_subtransport *owner = (exec_subtransport *)s->parent.subtransport;
    if (owner && owner->current == s) owner->current = NULL;
    if (s->socket >= 0) {
        // End the child's input, then read what it still says until it is done: receive-pack runs the
        // post-receive and post-update hooks after its report, and would die writing to a closed socket.
        shutdown(s->socket, SHUT_WR);
        char drain[4096];
        for (;;) {
            ssize_t count = recv(s->socket, drain, sizeof drain, 0);
            if (count > 0 || (count < 0 && errno == EINTR)) continue;
            break;
        }
        close(s->socket);
    }
    if (s->pid > 0) {
        int status;
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {}
    }
    free(s);
}

static int spawn(exec_stream **out, const char *command, const char *url) {
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) < 0) {
        git_error_set(GIT_ERROR_OS, "cannot create a socket pair: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sockets[1], 0);
    posix_spawn_file_actions_adddup2(&actions, sockets[1], 1);

    size_t count = 0;
    while (environ[count]) count++;
    char **environment = calloc(count + 1, sizeof(char *));
    if (environment == NULL) {
        posix_spawn_file_actions_destroy(&actions);
        close(sockets[0]);
        close(sockets[1]);
        git_error_set_oom();
        return -1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (!is_repository_variable(environ[i])) environment[kept++] = environ[i];
    }
    const char *git = getenv("ORGSYNC_GIT");
    if (git == NULL || *git == '\0') git = "git";
    char *const arguments[] = {(char *)git, (char *)command, (char *)path_of(url), NULL};
    pid_t pid = 0;
    int failure = posix_spawnp(&pid, git, &actions, NULL, arguments, environment);
    free(environment);
    posix_spawn_file_actions_destroy(&actions);
    close(sockets[1]);
    if (failure != 0) {
        close(sockets[0]);
        git_error_set(GIT_ERROR_OS,
                      "cannot run '%s %s': %s; orgsync reaches a repository on this machine through git's own "
                      "upload-pack and receive-pack, as git does, so that the server's hooks run: install git, "
                      "or set ORGSYNC_GIT to it",
                      git, command, strerror(failure));
        return -1;
    }
    exec_stream *stream = calloc(1, sizeof(exec_stream));
    if (stream == NULL) {
        close(sockets[0]);
        int status;
        waitpid(pid, &status, 0);
        git_error_set_oom();
        return -1;
    }
    stream->parent.read = stream_read;
    stream->parent.write = stream_write;
    stream->parent.free = stream_free;
    stream->pid = pid;
    stream->socket = sockets[0];
    *out = stream;
    return 0;
}

static int subtransport_close(git_smart_subtransport *transport) {
    exec_subtransport *t = (exec_subtransport *)transport;
    if (t->current) {
        stream_free(&t->current->parent);
        t->current = NULL;
    }
    return 0;
}

static int subtransport_action(git_smart_subtransport_stream **out, git_smart_subtransport *transport,
                               const char *url, git_smart_service_t action) {
    exec_subtransport *t = (exec_subtransport *)transport;
    const char *command;
    switch (action) {
    case GIT_SERVICE_UPLOADPACK_LS:
    case GIT_SERVICE_UPLOADPACK:
        command = "upload-pack";
        break;
    case GIT_SERVICE_RECEIVEPACK_LS:
    case GIT_SERVICE_RECEIVEPACK:
        command = "receive-pack";
        break;
    default:
        git_error_set(GIT_ERROR_NET, "unknown git service %d", (int)action);
        return -1;
    }
    // The listing and the transfer that follows it are one conversation with one process.
    if ((action == GIT_SERVICE_UPLOADPACK || action == GIT_SERVICE_RECEIVEPACK) && t->current) {
        t->current->parent.subtransport = transport;
        *out = &t->current->parent;
        return 0;
    }
    subtransport_close(transport);
    exec_stream *stream = NULL;
    if (spawn(&stream, command, url) < 0) return -1;
    stream->parent.subtransport = transport;
    t->current = stream;
    *out = &stream->parent;
    return 0;
}

static void subtransport_free(git_smart_subtransport *transport) {
    subtransport_close(transport);
    free(transport);
}

static int make_subtransport(git_smart_subtransport **out, git_transport *owner, void *param) {
    (void)owner;
    (void)param;
    exec_subtransport *t = calloc(1, sizeof(exec_subtransport));
    if (t == NULL) {
        git_error_set_oom();
        return -1;
    }
    t->parent.action = subtransport_action;
    t->parent.close = subtransport_close;
    t->parent.free = subtransport_free;
    *out = &t->parent;
    return 0;
}

int orgsync_exec_transport(git_transport **out, git_remote *owner, void *param) {
    (void)param;
    const char *url = git_remote_url(owner);
    const char *push_url = git_remote_pushurl(owner);
    if (!orgsync_url_is_local(url) || (push_url != NULL && !orgsync_url_is_local(push_url))) {
        *out = NULL; // libgit2 chooses the transport for the URL's scheme
        return 0;
    }
    static git_smart_subtransport_definition definition = {make_subtransport, 0, NULL};
    return git_transport_smart(out, owner, &definition);
}

// MARK: The orgsync merge driver, in process

#include <git2/sys/merge.h>

/// Leaves every file it is asked about conflicted, so that the caller merges it (orgsync's semantic merge).
static int conflict_apply(git_merge_driver *self, const char **path_out, uint32_t *mode_out, git_buf *merged_out,
                          const char *filter_name, const git_merge_driver_source *src) {
    (void)self; (void)path_out; (void)mode_out; (void)merged_out; (void)filter_name; (void)src;
    return GIT_EMERGECONFLICT;
}

static git_merge_driver conflict_driver = {GIT_MERGE_DRIVER_VERSION, NULL, NULL, conflict_apply};

int orgsync_register_conflict_driver(const char *name) {
    int result = git_merge_driver_register(name, &conflict_driver);
    if (result == GIT_EEXISTS) {
        git_error_clear();
        return 0;
    }
    return result;
}
