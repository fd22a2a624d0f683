//! An instance of the global service running inside another process
//! (`natster hub up`, the demo, tests): started, waited for until it
//! answers, watched, and stopped cleanly.

use std::time::Duration;

use natster_client::GlobalClient;
use natster_proto::global::StatsRequest;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::GlobalConfig;
use crate::error::GlobalError;

/// How long a starting instance may take to answer (it first creates its
/// stream and buckets).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running instance; dropping it leaves it running until the runtime ends.
#[derive(Debug)]
pub struct Instance {
    task: JoinHandle<Result<(), GlobalError>>,
    stop: oneshot::Sender<()>,
}

impl Instance {
    /// Runs the service on `client` (a user of the global account `account`)
    /// and returns once it answers requests.
    pub async fn start(
        client: async_nats::Client,
        config: GlobalConfig,
        account: &str,
    ) -> Result<Self, GlobalError> {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::service::run(client.clone(), config, async move {
            let _ = stopped.await;
        }));
        let mut instance = Self { task, stop };
        let global = GlobalClient::new(client, account).with_timeout(Duration::from_millis(500));
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if global.call(&StatsRequest {}).await.is_ok() {
                return Ok(instance);
            }
            if instance.task.is_finished() {
                return Err(instance.ended().await);
            }
            if tokio::time::Instant::now() > deadline {
                instance.stop().await;
                return Err(GlobalError::NotReady(READY_WITHIN));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Completes if the service ends by itself (it should not), with why.
    pub async fn ended(&mut self) -> GlobalError {
        match (&mut self.task).await {
            Ok(Ok(())) => GlobalError::Stopped,
            Ok(Err(e)) => e,
            Err(e) => GlobalError::Crashed(e.to_string()),
        }
    }

    /// Stops it, letting requests in flight finish (up to 5 s).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}
