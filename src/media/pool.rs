//! Runs photo jobs on tokio's blocking threads, a few at a time, refusing work beyond a short queue.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::error::PhotoError;
use super::pipeline::{process_photo, PhotoLimits, ProcessedPhoto};

/// Bounded photo processing: at most `workers` jobs run at once and at most `queue_capacity`
/// more wait; anything beyond is refused at once with [`PhotoError::ProcessingBusy`] (503), so a
/// burst of uploads cannot pile up memory or make every member wait minutes.
#[derive(Debug, Clone)]
pub struct PhotoPool {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    workers: usize,
    queue_capacity: usize,
}

impl Default for PhotoPool {
    /// One worker per core, and room for two waiting jobs per worker.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, cores * 2)
    }
}

impl PhotoPool {
    /// `workers` is raised to 1 if zero.
    pub fn new(workers: usize, queue_capacity: usize) -> Self {
        let workers = workers.max(1);
        Self {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + queue_capacity)),
            workers,
            queue_capacity,
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn queue_capacity(&self) -> usize {
        self.queue_capacity
    }

    /// Processes one upload with [`process_photo`] on a blocking thread.
    pub async fn process(
        &self,
        bytes: Vec<u8>,
        limits: PhotoLimits,
    ) -> Result<ProcessedPhoto, PhotoError> {
        self.run(move || process_photo(&bytes, &limits)).await
    }

    /// Runs any blocking job under the pool's bounds.
    async fn run<T, F>(&self, job: F) -> Result<T, PhotoError>
    where
        F: FnOnce() -> Result<T, PhotoError> + Send + 'static,
        T: Send + 'static,
    {
        let Ok(admission) = Arc::clone(&self.admitted).try_acquire_owned() else {
            crate::metrics::with(|m| m.photo_jobs.with_label_values(&["refused"]).inc());
            return Err(PhotoError::ProcessingBusy);
        };
        let queued = Gauged::new(|m| &m.photo_jobs_queued);
        let worker = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| PhotoError::ProcessingBusy)?;
        drop(queued);
        // The permits move into the blocking task: if the client hangs up and this future is
        // dropped, the job still counts until its thread really finishes.
        let outcome = tokio::task::spawn_blocking(move || {
            let _held = (admission, worker, Gauged::new(|m| &m.photo_jobs_running));
            job()
        })
        .await;
        let result = match outcome {
            Ok(result) => result,
            Err(join_error) => Err(PhotoError::ProcessingFailed {
                detail: format!("photo job did not finish: {join_error}"),
            }),
        };
        let outcome = if result.is_ok() {
            "processed"
        } else {
            "failed"
        };
        crate::metrics::with(|m| m.photo_jobs.with_label_values(&[outcome]).inc());
        result
    }
}

/// Counts one job in a gauge for as long as it lives (also when the future is dropped).
struct Gauged(Option<&'static prometheus::IntGauge>);

impl Gauged {
    fn new(
        pick: impl FnOnce(&'static crate::metrics::Metrics) -> &'static prometheus::IntGauge,
    ) -> Self {
        let gauge = crate::metrics::get().map(pick);
        if let Some(g) = gauge {
            g.inc();
        }
        Self(gauge)
    }
}

impl Drop for Gauged {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            g.dec();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::Code;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test]
    async fn refuses_a_second_job_when_the_only_worker_is_busy_and_there_is_no_queue() {
        let pool = PhotoPool::new(1, 0);
        let (release, wait_for_release) = mpsc::channel::<()>();
        let first = pool.run(move || {
            wait_for_release
                .recv_timeout(Duration::from_secs(10))
                .map_err(|_| PhotoError::ProcessingBusy)
        });
        let second = async {
            let refused = pool.run(|| Ok(())).await;
            let _ = release.send(());
            refused
        };
        // join! polls `first` before `second`, so the first job holds the only permit.
        let (first, second) = tokio::join!(first, second);
        assert!(first.is_ok());
        let refused = second.err().map(|error| {
            (
                Code::from(&error).name(),
                Code::from(&error).status().as_u16(),
            )
        });
        assert_eq!(refused, Some(("processing_busy", 503)));

        // Once the worker is free again, work is accepted.
        assert!(pool.run(|| Ok(7)).await.is_ok());
    }

    #[tokio::test]
    async fn queues_up_to_capacity_then_refuses() {
        let pool = PhotoPool::new(1, 1);
        let (release, wait_for_release) = mpsc::channel::<()>();
        let running = pool.run(move || {
            wait_for_release
                .recv_timeout(Duration::from_secs(10))
                .map_err(|_| PhotoError::ProcessingBusy)
        });
        let queued = pool.run(|| Ok(()));
        let third = async {
            let refused = pool.run(|| Ok(())).await;
            let _ = release.send(());
            refused
        };
        let (running, queued, third) = tokio::join!(running, queued, third);
        assert!(running.is_ok());
        assert!(
            queued.is_ok(),
            "the queued job must run once the worker is free"
        );
        assert_eq!(
            third.err().map(|error| Code::from(&error).name()),
            Some("processing_busy")
        );
    }

    #[tokio::test]
    async fn processes_a_real_photo_and_passes_errors_through() {
        let pool = PhotoPool::default();
        assert!(pool.workers() >= 1);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/images/orientation/portrait_6.jpg"
        );
        let bytes = std::fs::read(path).unwrap();
        let photo = pool.process(bytes, PhotoLimits::default()).await.unwrap();
        assert_eq!((photo.width, photo.height), (1200, 1800));
        let refused = pool.process(Vec::new(), PhotoLimits::default()).await;
        assert_eq!(
            refused.err().map(|error| Code::from(&error).name()),
            Some("empty_file")
        );
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let pool = PhotoPool::new(1, 0);
        let outcome: Result<(), PhotoError> = pool.run(|| panic!("boom")).await;
        assert_eq!(
            outcome.err().map(|error| Code::from(&error).name()),
            Some("processing_failed")
        );
        assert!(
            pool.run(|| Ok(())).await.is_ok(),
            "permits are returned after a panic"
        );
    }
}
