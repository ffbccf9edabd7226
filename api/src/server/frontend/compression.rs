//! Response compression: gzip or brotli, whichever the client prefers.

use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

/// gzip and brotli (brotli at quality 4, tower-http's default for on-the-fly
/// compression); bodies under 32 bytes, images, gRPC and event streams stay
/// as they are.
pub fn compression_layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .no_deflate()
        .no_zstd()
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")))
}
