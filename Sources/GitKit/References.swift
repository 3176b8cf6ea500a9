import CLibGit2

extension Repository {
    /// Lists every reference under `refs/` with the commit it leads to, sorted by the bytes of their names.
    ///
    /// Symbolic references are followed and annotated tags peeled. References that lead to a tree or blob, and
    /// symbolic references whose target does not exist, are left out; HEAD is not listed. A reference whose
    /// object is missing throws.
    public func references() throws -> [ReferenceTarget] {
        let iterator = try make("git_reference_iterator_new") { git_reference_iterator_new(&$0, pointer) }
        defer { git_reference_iterator_free(iterator) }
        var targets: [(name: [UInt8], target: ReferenceTarget)] = []
        while true {
            var namePointer: UnsafePointer<CChar>?
            let result = git_reference_next_name(&namePointer, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, function: "git_reference_next_name")
            guard let namePointer else { throw GitError.missingResult(function: "git_reference_next_name") }
            let nameBytes = bytes(namePointer)
            // libgit2's files backend lists nothing else, but pseudo-references such as HEAD must stay out.
            guard nameBytes.starts(with: "refs/".utf8) else { continue }
            guard let object = try peeledObject(referenceNamed: namePointer) else { continue }
            defer { git_object_free(object) }
            guard git_object_type(object) == GIT_OBJECT_COMMIT else { continue }
            guard let commit = ObjectID(git_object_id(object)) else {
                throw GitError.missingResult(function: "git_object_id")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            targets.append((nameBytes, ReferenceTarget(name: name, commit: commit)))
        }
        targets.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return targets.map(\.target)
    }

    /// The commit the reference `name` leads to, following symbolic references and peeling annotated tags.
    ///
    /// `name` is a full name such as `refs/heads/main` (or `HEAD`); it is not expanded, so a short name such as
    /// `main` throws as invalid. Returns nil when the reference does not exist, or is symbolic and its target does
    /// not (HEAD on an unborn branch); throws when it leads to a tree or blob.
    public func resolveReference(_ name: String) throws -> ObjectID? {
        let found = try withCheckedCString(name, "reference name", function: "git_reference_name_to_id") {
            try peeledObject(referenceNamed: $0)
        }
        guard let object = found else { return nil }
        defer { git_object_free(object) }
        return try commitID(peeling: object, "reference '\(name)'")
    }

    /// The object the reference `name` leads to once symbolic references are followed and tags peeled, or nil
    /// when the reference or the end of its symbolic chain does not exist.
    ///
    /// The caller frees the object.
    private func peeledObject(referenceNamed name: UnsafePointer<CChar>) throws -> OpaquePointer? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, name)
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_reference_name_to_id")
        let object = try make("git_object_lookup") { git_object_lookup(&$0, pointer, &oid, GIT_OBJECT_ANY) }
        // Peeling to "any" type would take a commit on to its tree, so only peel tags.
        guard git_object_type(object) == GIT_OBJECT_TAG else { return object }
        defer { git_object_free(object) }
        return try make("git_object_peel") { git_object_peel(&$0, object, GIT_OBJECT_ANY) }
    }
}
