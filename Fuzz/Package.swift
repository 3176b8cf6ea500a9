// swift-tools-version: 6.1
import PackageDescription

// The libFuzzer targets of orgsync (docs/FUZZING.md). A package of its own, so that the root package's
// `swift build` and `swift test` never see it; `scripts/fuzz` builds it with `-sanitize=fuzzer,address`.
//
// Each fuzz target is an executable module without a `main`: libFuzzer provides it, and calls the module's
// `LLVMFuzzerTestOneInput`. They use the public API of `OrgModel` only.
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "orgsync-fuzz",
    // Int128 is the wider-integer reference of the credits and replay targets.
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "orgsync", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "OrgModel", package: "orgsync")]),
        .target(name: "FuzzerMain"),
        .executableTarget(name: "FuzzParsers", dependencies: [.product(name: "OrgModel", package: "orgsync"), "FuzzSupport", "FuzzerMain"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzCredits", dependencies: [.product(name: "OrgModel", package: "orgsync"), "FuzzSupport", "FuzzerMain"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzReplay", dependencies: [.product(name: "OrgModel", package: "orgsync"), "FuzzSupport", "FuzzerMain"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzMerge", dependencies: [.product(name: "OrgModel", package: "orgsync"), "FuzzSupport", "FuzzerMain"], swiftSettings: fuzzTarget),
    ]
)
