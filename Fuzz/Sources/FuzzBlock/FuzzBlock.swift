import FuzzSupport
import SpindleStorage
import SpindleStore

#if canImport(Glibc)
import Glibc
#endif

/// Block files, read as the store reads them: open, dictionary, every page, filters,
/// trace lookups.
///
/// Properties: any bytes are either read or rejected with a ``StorageError`` (never a
/// trap); decoded pages keep every table invariant (checked inside the read).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A block is a file: the input goes to one in shared memory, named as blocks are.
    let path = "/dev/shm/spindle-fuzz-\(getpid())-0000000000000001.block"
    let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
    guard fd >= 0 else { finding("cannot create \(path)") }
    var written = 0
    while written < size {
        let result = write(fd, data + written, size - written)
        guard result > 0 else { finding("cannot write \(path)") }
        written += result
    }
    close(fd)
    defer { unlink(path) }
    _ = try? StoreFormatChecks.readBlock(at: path)
    return 0
}
