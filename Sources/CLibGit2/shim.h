#ifndef ORGSYNC_CLIBGIT2_SHIM_H
#define ORGSYNC_CLIBGIT2_SHIM_H

#include <git2.h>

/// git_libgit2_opts is variadic and does not import into Swift; these wrap the calls orgsync makes.
static inline int orgsync_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

/// Points libgit2's config search path for `level` (a git_config_level_t) at `path`; NULL restores the default.
static inline int orgsync_git_set_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

#endif
