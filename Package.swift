// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "orgsync",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "OrgModel", targets: ["OrgModel"]),
        .library(name: "OrgSync", targets: ["OrgSync"]),
        .executable(name: "orgsync", targets: ["orgsync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // libgit2 reaches repositories on this machine through git's own upload-pack and receive-pack,
        // so that a server's hooks run (libgit2's local transport copies objects and refs directly).
        .target(name: "CGitExec", dependencies: ["CLibGit2"]),
        .target(name: "GitKit", dependencies: ["CLibGit2", "CGitExec"]),
        .target(name: "OrgModel", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "OrgSync", dependencies: ["OrgModel", "GitKit", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "orgsync",
            dependencies: ["OrgSync", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "OrgTestSupport", path: "Tests/Support"),
        .testTarget(name: "OrgModelTests", dependencies: ["OrgModel", "OrgTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit"]),
        .testTarget(name: "OrgSyncTests", dependencies: ["OrgSync", "OrgTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "CLITests", dependencies: ["orgsync", "OrgModel", "OrgTestSupport"]),
    ]
)
