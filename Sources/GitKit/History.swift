import CLibGit2

extension Repository {
    /// Lists the commits reachable from `including` but not from `excluding`, parents before children, like
    /// `git rev-list --topo-order --reverse <including> ^<excluding>`.
    ///
    /// Every commit comes after all of its parents that are listed; the order among unrelated commits is
    /// libgit2's and may differ from git's. Ids on either side may be annotated tags, which are peeled to their
    /// commit; any other id that does not name a commit, or names a missing object, throws. With `including`
    /// empty, returns an empty list without looking at `excluding`.
    public func walk(including: [ObjectID], excluding: [ObjectID]) throws -> [ObjectID] {
        guard !including.isEmpty else { return [] }
        let walker = try make("git_revwalk_new") { git_revwalk_new(&$0, pointer) }
        defer { git_revwalk_free(walker) }
        try check(
            git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue),
            function: "git_revwalk_sorting"
        )
        for id in including {
            var oid = id.oid
            try check(git_revwalk_push(walker, &oid), function: "git_revwalk_push")
        }
        for id in excluding {
            var oid = id.oid
            try check(git_revwalk_hide(walker, &oid), function: "git_revwalk_hide")
        }
        var commits: [ObjectID] = []
        var oid = git_oid()
        while true {
            let result = git_revwalk_next(&oid, walker)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, function: "git_revwalk_next")
            commits.append(ObjectID(oid))
        }
        return commits
    }

    /// The best common ancestor of the commits `a` and `b`, or nil when their histories never meet.
    ///
    /// Both ids must name commits; tags are not peeled. When several ancestors are equally good (after criss-cross
    /// merges), returns one of them, like `git merge-base` without `--all`.
    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
        // libgit2 reports a missing commit as "no merge base"; make it throw instead.
        try requireCommits(a, b)
        var one = a.oid
        var two = b.oid
        var base = git_oid()
        let result = git_merge_base(&base, pointer, &one, &two)
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_merge_base")
        return ObjectID(base)
    }

    /// Whether `ancestor` is reachable from `commit` by following parents.
    ///
    /// A commit is not its own descendant: the result is false when the two ids are equal, so compare them first
    /// where `git merge-base --is-ancestor` semantics are wanted. Both ids must name commits; tags are not peeled.
    public func isDescendant(_ commit: ObjectID, of ancestor: ObjectID) throws -> Bool {
        try requireCommits(commit, ancestor)
        var commitID = commit.oid
        var ancestorID = ancestor.oid
        return try check(
            git_graph_descendant_of(pointer, &commitID, &ancestorID),
            function: "git_graph_descendant_of"
        ) == 1
    }

    /// Throws unless every id names a commit in the repository.
    private func requireCommits(_ ids: ObjectID...) throws {
        for id in ids {
            git_commit_free(try lookupCommit(id))
        }
    }
}
