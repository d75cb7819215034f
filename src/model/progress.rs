//! How far a load has got, and the switch that abandons it: shared between the reader's
//! thread and the window, which draws it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How far a load has got, read from another thread (the window draws it), and the switch
/// that abandons it.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub(super) read: AtomicU64,
    pub(super) total: AtomicU64,
    pub(super) reading_done: AtomicBool,
    pub(super) cancelled: AtomicBool,
    pub(super) faces_done: AtomicU64,
    pub(super) faces_total: AtomicU64,
}

impl LoadProgress {
    /// Bytes read so far and the file's size.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.read.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// The whole file is in memory; the mesh is being built.
    pub fn building(&self) -> bool {
        self.reading_done.load(Ordering::Relaxed)
    }

    /// Faces meshed so far and faces in the file (STEP only; zeros before meshing starts).
    pub fn faces(&self) -> (u64, u64) {
        (
            self.faces_done.load(Ordering::Relaxed),
            self.faces_total.load(Ordering::Relaxed),
        )
    }

    /// Asks the load to stop; it returns [`super::LoadError::Cancelled`] at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
