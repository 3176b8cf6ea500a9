import FuzzSupport
import FuzzerMain
import OrgModel

/// Fuzzes `Credits` (SPEC F2): parsing against a reference parser over Int128, the canonical text and the
/// grouped text, and checked arithmetic against Int128 arithmetic.
///
/// The whole input is read as text and parsed; the same bytes are also read as a list of 64-bit amounts
/// for the arithmetic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    CreditsTarget.parsing(bytes)
    CreditsTarget.arithmetic(bytes)
    return 0
}

enum CreditsTarget {
    static let largest = Int128(Int64.max)

    /// The amount `text` means by F2's grammar, `-?(0|[1-9][0-9]*)(\.[0-9]{1,4})?` within ±Int64.max
    /// ten-thousandths, computed without the parser's code: nil when it is not an amount.
    static func reference(_ text: String) -> Int128? {
        var bytes = Array(text.utf8)[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : nil
        func isDigits(_ slice: ArraySlice<UInt8>) -> Bool { !slice.isEmpty && slice.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard isDigits(whole), !(whole.count > 1 && whole.first == UInt8(ascii: "0")) else { return nil }
        if let fraction { guard isDigits(fraction), fraction.count <= 4 else { return nil } }
        // 20 integer digits already exceed the range; longer runs would overflow Int128 too.
        guard whole.count <= 20 else { return nil }
        var units: Int128 = 0
        for digit in whole { units = units * 10 + Int128(digit - 48) }
        var fractionDigits = 0
        for digit in fraction ?? [] {
            units = units * 10 + Int128(digit - 48)
            fractionDigits += 1
        }
        for _ in fractionDigits..<4 { units *= 10 }
        guard units <= largest else { return nil }
        return negative ? -units : units
    }

    static func parsing(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let expected = reference(text)
        do {
            let amount = try Credits(parsing: text)
            require(expected == Int128(amount.units), "Credits(parsing: \(text.debugDescription)) is \(amount.units) units; the reference reads \(String(describing: expected))")
            roundTrip(amount)
        } catch {
            require(expected == nil, "Credits(parsing: \(text.debugDescription)) refused it (\(error)); the reference reads \(String(describing: expected))")
            require(!error.description.isEmpty, "an empty error for \(text.debugDescription)")
            if text.isEmpty { require(error == .empty, "the empty text gives \(error), not .empty") }
        }
    }

    /// The canonical text reads back as the same amount, and the grouped text is the canonical text with
    /// thousands separators.
    static func roundTrip(_ amount: Credits) {
        let text = amount.description
        require((try? Credits(parsing: text)) == amount, "\(amount.units) units are written \(text.debugDescription), which does not read back")
        require(reference(text) == Int128(amount.units), "\(amount.units) units are written \(text.debugDescription), which the reference reads differently")
        // Canonical: no trailing fractional zero, no "-0".
        if text.contains(".") { require(!text.hasSuffix("0"), "\(text) has a trailing fractional zero") }
        require(text != "-0", "zero is written -0")

        let grouped = amount.formatted
        require(grouped.filter { $0 != "," } == text, "\(text) is formatted as \(grouped)")
        let body = grouped.hasPrefix("-") ? grouped.dropFirst() : grouped[...]
        let groups = (body.split(separator: ".").first ?? "").split(separator: ",", omittingEmptySubsequences: false)
        require(groups.first.map { (1...3).contains($0.count) } ?? false && groups.dropFirst().allSatisfy { $0.count == 3 },
                "\(text) is grouped as \(grouped)")
        require(amount.amount == grouped + (amount.units == 10_000 ? " credit" : " credits"), "\(text) in words is \(amount.amount)")
    }

    static func arithmetic(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var amounts: [Credits] = []
        while amounts.count < 8, !input.isAtEnd {
            // Small amounts and amounts near the edges of the range, so that sums both fit and overflow.
            let raw = input.int64()
            let amount: Credits
            switch raw & 3 {
            case 0: amount = Credits(units: raw >> 40)
            case 1: amount = Credits(units: raw >= 0 ? Int64.max - (raw >> 44) : -Int64.max + ((-(raw >> 44)) & 0xFFFFF))
            default: amount = Credits(units: raw)
            }
            amounts.append(amount)
        }
        let int64Min = Credits(units: Int64.min)
        require(int64Min == Credits.min, "Credits(units: Int64.min) is \(int64Min.units), not the symmetric minimum")

        for amount in amounts {
            let units = Int128(amount.units)
            require(units >= -largest && units <= largest, "\(amount.units) units lie outside ±Int64.max")
            roundTrip(amount)
            require(amount.negated.negated == amount, "negating \(amount) twice gives \(amount.negated.negated)")
            require(Int128(amount.negated.units) == -units, "-(\(amount)) is \(amount.negated)")
            require(amount.isNegative == (units < 0) && amount.isZero == (units == 0) && amount.isPositive == (units > 0),
                    "the sign of \(amount) is misreported")
            let wholeCredits = amount.units / 10_000
            let whole = Credits(whole: wholeCredits)
            require(whole?.units == wholeCredits * 10_000, "Credits(whole: \(wholeCredits)) is \(String(describing: whole))")
        }
        for a in amounts {
            for b in amounts {
                let (x, y) = (Int128(a.units), Int128(b.units))
                require((a < b) == (x < y) && (a == b) == (x == y), "\(a) and \(b) compare wrongly")
                if a == b { require(a.hashValue == b.hashValue, "\(a) hashes two ways") }
                check("+", a, b, x + y) { () throws(CreditsError) -> Credits in try a.adding(b) }
                check("-", a, b, x - y) { () throws(CreditsError) -> Credits in try a.subtracting(b) }
            }
        }
        // A sum is checked step by step: it fails as soon as a running total leaves the range.
        var running: Int128 = 0
        var overflowed = false
        for amount in amounts {
            running += Int128(amount.units)
            if running > largest || running < -largest { overflowed = true }
        }
        do {
            let total = try amounts.sum()
            require(!overflowed && Int128(total.units) == running, "the sum of \(amounts) is \(total); expected \(overflowed ? "overflow" : "\(running)")")
        } catch {
            require(overflowed && error == .overflow, "the sum of \(amounts) failed with \(error); expected \(running)")
        }
    }

    static func check(_ operation: String, _ a: Credits, _ b: Credits, _ exact: Int128, _ compute: () throws(CreditsError) -> Credits) {
        let fits = exact >= -largest && exact <= largest
        do {
            let result = try compute()
            require(fits && Int128(result.units) == exact, "\(a) \(operation) \(b) gave \(result); the exact result is \(exact)")
        } catch {
            require(!fits && error == .overflow, "\(a) \(operation) \(b) failed with \(error); the exact result \(exact) fits")
        }
    }
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver.
@_cdecl("FuzzCredits_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    orgsync_fuzzer_main(argc, argv)
}
