//! The sandbox's clocks. Regulators, robots and tasks follow the *sandbox time*, which runs `speed`
//! times faster than real time; tokens and confirmation codes follow the *wall time*, which runs
//! at real speed (a fast sandbox must not expire a client's token under its feet). Tests move both
//! forward at once with [`SandboxClock::advance`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Time as the sandbox sees it.
#[derive(Debug)]
pub struct SandboxClock {
    state: Mutex<ClockState>,
}

#[derive(Debug)]
struct ClockState {
    started: Instant,
    sandbox_origin: DateTime<Utc>,
    wall_origin: DateTime<Utc>,
    speed: f64,
    advanced: chrono::Duration,
}

impl SandboxClock {
    /// A clock whose sandbox time starts at `sandbox_origin` and runs `speed` times faster than real
    /// time (0 stops it: only [`advance`](Self::advance) moves it).
    pub fn new(sandbox_origin: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed >= 0.0 { speed } else { 1.0 };
        Self {
            state: Mutex::new(ClockState {
                started: Instant::now(),
                sandbox_origin,
                wall_origin: Utc::now(),
                speed,
                advanced: chrono::Duration::zero(),
            }),
        }
    }

    /// Sandbox time: regulators answer and tasks finish by it.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.lock();
        let elapsed = state.started.elapsed().as_secs_f64() * state.speed;
        let scaled = chrono::Duration::microseconds((elapsed * 1e6).min(i64::MAX as f64 / 2.0) as i64);
        state.sandbox_origin + scaled + state.advanced
    }

    /// Wall time (real speed, plus every explicit advance): tokens and codes expire by it.
    pub fn wall_now(&self) -> DateTime<Utc> {
        let state = self.lock();
        let elapsed = chrono::Duration::from_std(state.started.elapsed()).unwrap_or_else(|_| chrono::Duration::zero());
        state.wall_origin + elapsed + state.advanced
    }

    /// Moves both times forward by `by`, as if that much time had passed.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or_else(|_| chrono::Duration::days(365 * 100));
        self.lock().advanced += by;
    }

    /// How many times faster than real time the sandbox time runs.
    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_clock_moves_only_when_advanced() {
        let origin = Utc::now();
        let clock = SandboxClock::new(origin, 0.0);
        assert_eq!(clock.now(), origin);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), origin + chrono::Duration::seconds(90));
        assert!(clock.wall_now() >= Utc::now() + chrono::Duration::seconds(89));
    }

    #[test]
    fn fast_clock_runs_ahead_of_wall_time() {
        let origin = Utc::now();
        let clock = SandboxClock::new(origin, 1000.0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.now() >= origin + chrono::Duration::seconds(19));
        assert!(clock.wall_now() < Utc::now() + chrono::Duration::seconds(1));
    }
}
