#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C library's `pow`, `exp2` and `log2`, which the standard library does not offer.
enum Math {
    static func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }
    static func exp2(_ exponent: Double) -> Double { pow(2, exponent) }
    static func log2(_ value: Double) -> Double {
        #if canImport(Darwin)
        Darwin.log2(value)
        #elseif canImport(Glibc)
        Glibc.log2(value)
        #else
        Musl.log2(value)
        #endif
    }
}
