//! Times the HTTP client's own connections (TCP, and TLS over it): the probe reports
//! the connection the requests actually used instead of opening one of its own beside it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The connections a client opened, in the order they finished.
#[derive(Debug, Default)]
pub struct ConnLog {
    opened: Mutex<Vec<(Duration, bool)>>,
}

impl ConnLog {
    fn record(&self, took: Duration, ok: bool) {
        self.opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((took, ok));
    }

    /// How long the first connection that succeeded took to set up.
    pub fn first_ok(&self) -> Option<Duration> {
        self.opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(_, ok)| *ok)
            .map(|(d, _)| *d)
    }

    /// Connection attempts so far (made or failed).
    pub fn count(&self) -> usize {
        self.opened.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// A connector layer that records each connection's setup time in a [`ConnLog`].
#[derive(Clone)]
pub struct Timed(pub Arc<ConnLog>);

impl<S> tower_layer::Layer<S> for Timed {
    type Service = TimedService<S>;

    fn layer(&self, inner: S) -> TimedService<S> {
        TimedService {
            inner,
            log: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct TimedService<S> {
    inner: S,
    log: Arc<ConnLog>,
}

impl<S, R> tower_service::Service<R> for TimedService<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let log = self.log.clone();
        let started = Instant::now();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let result = connecting.await;
            log.record(started.elapsed(), result.is_ok());
            result
        })
    }
}
