//! Change against the previous period, as the digest shows it ("+3, +20 %").

use chrono::Duration;

/// How a figure moved since the previous period. `percent` is relative to
/// the previous value (+50.0 means half as much again) and `None` when the
/// previous value was zero, where no percentage means anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change<T> {
    pub delta: T,
    pub percent: Option<f64>,
}

fn percent(delta: f64, previous: f64) -> Option<f64> {
    (previous != 0.0).then(|| delta / previous * 100.0)
}

/// Counts always compare: an empty period counted zero incidents.
pub fn count_change(current: usize, previous: usize) -> Change<i64> {
    let delta = current as i64 - previous as i64;
    Change {
        delta,
        percent: percent(delta as f64, previous as f64),
    }
}

/// `None` when either period has no value (an empty period has no median).
pub fn duration_change(
    current: Option<Duration>,
    previous: Option<Duration>,
) -> Option<Change<Duration>> {
    let (current, previous) = (current?, previous?);
    let delta = current - previous;
    Some(Change {
        delta,
        percent: percent(
            delta.num_milliseconds() as f64,
            previous.num_milliseconds() as f64,
        ),
    })
}

/// For shares between 0.0 and 1.0 (promises kept): `delta` is in the same
/// unit (0.1 = ten percentage points). `None` when either period has no value.
pub fn share_change(current: Option<f64>, previous: Option<f64>) -> Option<Change<f64>> {
    let (current, previous) = (current?, previous?);
    let delta = current - previous;
    Some(Change {
        delta,
        percent: percent(delta, previous),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|a| (a - expected).abs() < 1e-9)
    }

    #[test]
    fn more_incidents_than_before_is_a_positive_change() {
        let change = count_change(12, 10);
        assert_eq!(change.delta, 2);
        assert!(close(change.percent, 20.0));
    }

    #[test]
    fn no_incidents_now_is_minus_one_hundred_percent() {
        let change = count_change(0, 4);
        assert_eq!(change.delta, -4);
        assert!(close(change.percent, -100.0));
    }

    #[test]
    fn a_previous_count_of_zero_has_a_delta_but_no_percentage() {
        assert_eq!(
            count_change(5, 0),
            Change {
                delta: 5,
                percent: None
            }
        );
        assert_eq!(
            count_change(0, 0),
            Change {
                delta: 0,
                percent: None
            }
        );
    }

    #[test]
    fn a_slower_median_is_a_positive_duration_change() {
        let change =
            duration_change(Some(Duration::minutes(90)), Some(Duration::minutes(60))).unwrap();
        assert_eq!(change.delta, Duration::minutes(30));
        assert!(close(change.percent, 50.0));
        let faster =
            duration_change(Some(Duration::minutes(45)), Some(Duration::minutes(60))).unwrap();
        assert_eq!(faster.delta, Duration::minutes(-15));
        assert!(close(faster.percent, -25.0));
    }

    #[test]
    fn an_empty_period_has_no_duration_change() {
        assert_eq!(duration_change(Some(Duration::minutes(5)), None), None);
        assert_eq!(duration_change(None, Some(Duration::minutes(5))), None);
    }

    #[test]
    fn a_previous_duration_of_zero_has_a_delta_but_no_percentage() {
        let change = duration_change(Some(Duration::minutes(5)), Some(Duration::zero())).unwrap();
        assert_eq!(change.delta, Duration::minutes(5));
        assert_eq!(change.percent, None);
    }

    #[test]
    fn a_share_change_is_in_points_and_relative_percent() {
        let change = share_change(Some(0.8), Some(0.5)).unwrap();
        assert!(close(Some(change.delta), 0.3));
        assert!(close(change.percent, 60.0));
        assert_eq!(share_change(Some(0.8), Some(0.0)).unwrap().percent, None);
        assert_eq!(share_change(None, Some(0.5)), None);
    }
}
