// zlib, as the system provides it (Debian: zlib1g-dev). The storage engine uses its
// CRC-32 for checksums and deflate for block pages.
#include <zlib.h>
