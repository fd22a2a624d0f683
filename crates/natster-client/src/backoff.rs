//! Exponential backoff for every retry loop: JetStream publishes while a
//! stream has no leader, resolver pushes, watchers and consumers that lost
//! their server. One shape everywhere: start at `initial`, double after
//! each failure up to `max`, start over after a success.

use std::time::Duration;

/// Delays between attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `initial`, doubles up to `max`.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay before the next attempt; the one after is doubled.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next.min(self.max);
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// After a success: the next failure waits `initial` again.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }

    /// Sleeps [`Self::next_delay`].
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_starts_over_after_reset() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(50), ms(300));
        let got: Vec<Duration> = (0..5).map(|_| b.next_delay()).collect();
        assert_eq!(got, [ms(50), ms(100), ms(200), ms(300), ms(300)]);
        b.reset();
        assert_eq!(b.next_delay(), ms(50));
    }

    #[tokio::test(start_paused = true)]
    async fn wait_sleeps_the_delay() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(8));
        let t = tokio::time::Instant::now();
        b.wait().await;
        b.wait().await;
        assert_eq!(t.elapsed(), Duration::from_secs(6));
    }
}
