import Dispatch

/// Runs independent pieces of work on every core.
enum ParallelWork {
    /// `items.map(transform)`, with the items spread over the machine's cores. The order of the result is the
    /// order of `items`, whatever order the work finished in.
    static func map<Item: Sendable, Output: Sendable>(_ items: [Item], _ transform: @Sendable (Item) -> Output) -> [Output] {
        guard items.count > 1 else { return items.map(transform) }
        // Interleaved slices balance files of different sizes; each slot is written by exactly one slice.
        let slices = min(items.count, 64)
        let slots = Slots<Output>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            for index in stride(from: slice, to: items.count, by: slices) {
                slots.set(index, transform(items[index]))
            }
        }
        return slots.values()
    }

    /// Storage that concurrent slices fill at distinct indices.
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<Value?>
        private let count: Int

        init(count: Int) {
            self.count = count
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil, count: count)
        }

        deinit {
            storage.deinitialize(count: count)
            storage.deallocate()
        }

        func set(_ index: Int, _ value: Value) { storage[index] = value }

        func values() -> [Value] {
            (0..<count).compactMap { storage[$0] }
        }
    }
}
