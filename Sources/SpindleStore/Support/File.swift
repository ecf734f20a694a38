#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a file: which call, which file, and errno's words.
struct FileError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var errno: Int32

    var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// An open file descriptor with the few calls the engine needs; reads and writes loop
/// over short counts and EINTR.
final class File: @unchecked Sendable {
    let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    static func open(_ path: String, create: Bool = false, exclusive: Bool = false, readOnly: Bool = false) throws(FileError) -> File {
        var flags = readOnly ? O_RDONLY : O_RDWR
        if create { flags |= O_CREAT }
        if exclusive { flags |= O_EXCL }
        flags |= O_CLOEXEC
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw FileError(operation: "open", path: path, errno: errno) }
        return File(path: path, descriptor: fd)
    }

    func size() throws(FileError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileError(operation: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(FileError) {
        // The closure reports errno (0 for success): withUnsafeBytes does not carry typed throws.
        let failure: Int32 = bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let written = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += written
            }
            return 0
        }
        if failure != 0 { throw FileError(operation: "write", path: path, errno: failure) }
    }

    /// Exactly `count` bytes at `offset`, or fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws(FileError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        let failure: Int32 = result.withUnsafeMutableBytes { buffer in
            while done < count {
                let got = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if got == 0 { break }
                done += got
            }
            return 0
        }
        if failure != 0 { throw FileError(operation: "read", path: path, errno: failure) }
        if done < count { result.removeSubrange(done...) }
        return result
    }

    func readAll() throws(FileError) -> [UInt8] {
        try read(count: try size(), at: 0)
    }

    func sync() throws(FileError) {
        guard fsync(descriptor) == 0 else { throw FileError(operation: "fsync", path: path, errno: errno) }
    }

    /// Takes an exclusive advisory lock without waiting; false when another open file
    /// (in this process or another) holds it.
    func tryLock() throws(FileError) -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw FileError(operation: "flock", path: path, errno: errno)
    }

    func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    func truncate(to length: Int) throws(FileError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw FileError(operation: "truncate", path: path, errno: errno) }
    }
}

/// Directory operations: listing, creating, renaming, removing, and making those changes
/// durable by syncing the directory itself.
enum Directory {
    static func create(_ path: String) throws(FileError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw FileError(operation: "mkdir", path: path, errno: errno) }
    }

    /// Creates `path` and any missing parents.
    static func createAll(_ path: String) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            try create(String(prefix.dropLast()))
        }
    }

    /// Names in `path` (not `.` or `..`), sorted.
    static func list(_ path: String) throws(FileError) -> [String] {
        guard let handle = opendir(path) else { throw FileError(operation: "opendir", path: path, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func sync(_ path: String) throws(FileError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(operation: "open directory", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError(operation: "fsync directory", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(FileError) {
        guard Glibc.rename(from, to) == 0 else { throw FileError(operation: "rename to \(to)", path: from, errno: errno) }
    }

    static func remove(_ path: String) throws(FileError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileError(operation: "unlink", path: path, errno: errno) }
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
