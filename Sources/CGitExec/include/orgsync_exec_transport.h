#ifndef ORGSYNC_EXEC_TRANSPORT_H
#define ORGSYNC_EXEC_TRANSPORT_H

// libgit2's types, declared here without its headers: CLibGit2 is the one module that owns them.
struct git_transport;
struct git_remote;

/// A `git_transport_cb` for `git_remote_callbacks.transport`: for a remote whose URL is a local path or a
/// `file://` URL, a smart transport that runs git's own `git upload-pack` and `git receive-pack` on the
/// repository, as `git fetch` and `git push` do, so that the server's hooks (pre-receive, update,
/// post-receive) run. For any other URL it makes no transport, and libgit2 picks its own by the URL.
int orgsync_exec_transport(struct git_transport **out, struct git_remote *owner, void *param);

/// Whether `url` names a repository on this machine: `file://…`, or a path with no `scheme:`.
int orgsync_url_is_local(const char *url);

/// Registers, for this process, a merge driver named `name` that leaves every file conflicted: libgit2 would
/// otherwise fall back to its line merge for the `merge=orgsync` attribute, whose driver is a command it
/// does not run, and `git_merge_trees` must hand orgsync every file both sides changed.
int orgsync_register_conflict_driver(const char *name);

#endif
