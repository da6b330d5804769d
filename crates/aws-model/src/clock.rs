//! Time as the model sees it: injected, so that tests can move it.

use std::sync::Mutex;

/// The current time in Unix seconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> f64;
}

/// Unix seconds at midnight UTC of a day of the (proleptic Gregorian) calendar; `None` for a day it lacks.
pub fn midnight_utc(year: i32, month: u8, day: u8) -> Option<i64> {
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        // Milliseconds, as AWS reports timestamps.
        (elapsed.as_millis() as f64) / 1000.0
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<f64>);

impl ManualClock {
    pub fn new(now: f64) -> ManualClock {
        ManualClock(Mutex::new(now))
    }

    pub fn advance(&self, seconds: f64) {
        *self.0.lock().expect("clock lock") += seconds;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        *self.0.lock().expect("clock lock")
    }
}
