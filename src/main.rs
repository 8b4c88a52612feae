//! The `public-voice` command line; everything lives in the `api` crate.

/// jemalloc serves every allocation of the process: Rust's through the global allocator, and C's
/// (the bundled SQLite's, glibc's own) through its unprefixed `malloc` and `free`, which take the
/// place of glibc's. Measured (BENCHMARKS.md, 2026-12-06, eleventh session): on SQLite 15-40 %
/// more requests a second than glibc's allocator and less memory held after the index build; on
/// PostgreSQL the maps 7-20 % faster at 100k, the rest within the noise.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read once at its start: two arenas (this server runs on few cores; more
/// arenas mostly hold more memory apart), and freed pages handed back to the system after a
/// second instead of ten, so the index build's temporary memory does not stay resident.
#[export_name = "malloc_conf"]
pub static MALLOC_CONF: Conf = Conf(c"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A pointer to jemalloc's settings, a C string: what the `malloc_conf` symbol must be.
#[repr(transparent)]
pub struct Conf(*const std::ffi::c_char);

// SAFETY: the pointer is to a static, immutable byte string; jemalloc only reads it.
unsafe impl Sync for Conf {}

fn main() -> std::process::ExitCode {
    api::cli::main()
}
