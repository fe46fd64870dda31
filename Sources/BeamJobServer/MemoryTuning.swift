/// glibc tuning for a long-running server (and a Spark stage executor). Bundles move buffers of several
/// MiB that live for one bundle; after the first is freed glibc raises its
/// mmap threshold and carves later ones from per-thread arenas, which it
/// keeps, so RSS climbs in steps towards (arenas × peak) although live heap
/// stays small. A fixed threshold sends large buffers back to mmap and
/// returns them when freed: a steady streaming job then stays flat
/// (measured with Scripts/bench_streaming_memory.py).
enum MemoryTuning {
    static func apply() {
        #if os(Linux)
        _ = glibcMallopt(mmapThresholdParameter, 128 * 1024)
        #endif
    }

    /// M_MMAP_THRESHOLD in glibc's malloc.h, which the Glibc module does not export.
    private static let mmapThresholdParameter: Int32 = -3
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
