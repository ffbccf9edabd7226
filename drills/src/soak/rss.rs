//! Memory trend of a process under steady load.
//!
//! The API's resident set is sampled every few seconds. A leak shows as a
//! steady climb; an allocator that grows its arenas in steps and then stays
//! flat does not. The trend is the Theil–Sen slope (the median of the slopes
//! between every pair of samples) over the second half of the run: steps,
//! spikes and sampling noise move the median little, a climb that lasts
//! moves it all the way. The first half is left out because caches (parsed
//! queries, connection pools, allocator arenas) fill while load starts.

/// One sample: seconds since the load started, resident set in MB.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at_secs: f64,
    pub mb: f64,
}

/// What the trend check judged.
#[derive(Debug, Clone, Copy)]
pub struct Trend {
    pub first_mb: f64,
    pub last_mb: f64,
    /// Theil–Sen slope over the window, MB per hour.
    pub slope_mb_per_hour: f64,
    /// Samples in the window.
    pub window_samples: usize,
    pub window_secs: f64,
}

/// The trend over the samples taken after half of `run_secs`.
pub fn trend(samples: &[Sample], run_secs: f64) -> Option<Trend> {
    let first = samples.first()?;
    let last = samples.last()?;
    let window: Vec<Sample> = samples
        .iter()
        .copied()
        .filter(|s| s.at_secs >= run_secs / 2.0)
        .collect();
    let window_secs = match (window.first(), window.last()) {
        (Some(a), Some(b)) => b.at_secs - a.at_secs,
        _ => 0.0,
    };
    Some(Trend {
        first_mb: first.mb,
        last_mb: last.mb,
        slope_mb_per_hour: theil_sen(&window) * 3600.0,
        window_samples: window.len(),
        window_secs,
    })
}

/// The median of the pairwise slopes (MB per second); 0 for fewer than two
/// samples.
pub fn theil_sen(samples: &[Sample]) -> f64 {
    let mut slopes = Vec::with_capacity(samples.len() * samples.len() / 2);
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            let dt = b.at_secs - a.at_secs;
            if dt > 0.0 {
                slopes.push((b.mb - a.mb) / dt);
            }
        }
    }
    if slopes.is_empty() {
        return 0.0;
    }
    slopes.sort_by(f64::total_cmp);
    let mid = slopes.len() / 2;
    if slopes.len() % 2 == 1 {
        slopes[mid]
    } else {
        (slopes[mid - 1] + slopes[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(f: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..300)
            .map(|i| {
                let at_secs = i as f64 * 2.0;
                Sample {
                    at_secs,
                    mb: f(at_secs),
                }
            })
            .collect()
    }

    #[test]
    fn a_steady_climb_is_measured_and_a_plateau_is_flat() {
        // 10 MB per hour
        let climb = trend(&series(|t| 40.0 + t / 360.0), 600.0).unwrap();
        assert!((climb.slope_mb_per_hour - 10.0).abs() < 1e-6, "{climb:?}");
        let flat = trend(&series(|_| 40.0), 600.0).unwrap();
        assert_eq!(flat.slope_mb_per_hour, 0.0);
        assert_eq!(flat.window_samples, 150);
    }

    #[test]
    fn one_step_and_spikes_barely_move_the_median() {
        // an arena grows once (+3 MB) early in the window; some samples spike
        let stepped = series(|t| {
            let base = if t >= 340.0 { 43.0 } else { 40.0 };
            if (t as u64).is_multiple_of(50) {
                base + 20.0
            } else {
                base
            }
        });
        let judged = trend(&stepped, 600.0).unwrap();
        assert!(judged.slope_mb_per_hour.abs() < 1.0, "{judged:?}");
    }
}
