//! The recommender's histograms (upstream's `pkg/recommender/util`): buckets whose sizes grow exponentially, each
//! holding the total weight of the samples that fell in it, and a decaying variant in which a sample's weight
//! doubles with every half-life of its timestamp, so that older samples count for less.
//!
//! A percentile is the end of the bucket where the cumulative weight reaches it (the start of the last bucket,
//! which has no end); a bucket lighter than the options' epsilon counts as empty.

/// The bucket layout: the first bucket covers `[0, first_bucket_size)`, bucket `n` is `first_bucket_size * ratio^n`
/// wide, and the last bucket starts at or above `max_value` and has no end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramOptions {
    buckets: usize,
    first_bucket_size: f64,
    ratio: f64,
    epsilon: f64,
}

impl HistogramOptions {
    /// Exponential buckets up to `max_value`; `None` unless every argument is positive and `ratio` above 1.
    pub fn exponential(max_value: f64, first_bucket_size: f64, ratio: f64, epsilon: f64) -> Option<HistogramOptions> {
        let valid = max_value > 0.0 && first_bucket_size > 0.0 && ratio > 1.0 && epsilon > 0.0;
        if !valid || !max_value.is_finite() || !ratio.is_finite() {
            return None;
        }
        let buckets = ((max_value * (ratio - 1.0) / first_bucket_size + 1.0).ln() / ratio.ln()).ceil() as usize + 1;
        Some(HistogramOptions { buckets, first_bucket_size, ratio, epsilon })
    }

    /// How many buckets there are.
    pub fn buckets(&self) -> usize {
        self.buckets
    }

    /// The bucket `value` falls in; values beyond the range fall in the first or the last bucket.
    pub fn find_bucket(&self, value: f64) -> usize {
        if value.is_nan() || value < self.first_bucket_size {
            return 0;
        }
        let bucket = ((value * (self.ratio - 1.0) / self.first_bucket_size + 1.0).ln() / self.ratio.ln()) as usize;
        bucket.min(self.buckets - 1)
    }

    /// Where bucket `bucket` starts.
    pub fn bucket_start(&self, bucket: usize) -> f64 {
        if bucket == 0 {
            return 0.0;
        }
        let exponent = i32::try_from(bucket.min(self.buckets - 1)).unwrap_or(i32::MAX);
        self.first_bucket_size * (self.ratio.powi(exponent) - 1.0) / (self.ratio - 1.0)
    }

    /// The weight under which a bucket counts as empty.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
}

/// A histogram of weighted samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    options: HistogramOptions,
    weights: Vec<f64>,
    total: f64,
    /// The first bucket that is not empty, or the last bucket when all are.
    min_bucket: usize,
    /// The last bucket that is not empty, or 0 when all are.
    max_bucket: usize,
}

impl Histogram {
    /// An empty histogram.
    pub fn new(options: HistogramOptions) -> Histogram {
        Histogram {
            options,
            weights: vec![0.0; options.buckets],
            total: 0.0,
            min_bucket: options.buckets - 1,
            max_bucket: 0,
        }
    }

    /// Adds a sample of `value` with `weight` (negative or NaN weights are ignored).
    pub fn add(&mut self, value: f64, weight: f64) {
        if weight.is_nan() || weight < 0.0 {
            return;
        }
        let bucket = self.options.find_bucket(value);
        self.weights[bucket] += weight;
        self.total += weight;
        let epsilon = self.options.epsilon;
        if bucket < self.min_bucket && self.weights[bucket] >= epsilon {
            self.min_bucket = bucket;
        }
        if bucket > self.max_bucket && self.weights[bucket] >= epsilon {
            self.max_bucket = bucket;
        }
    }

    /// Takes away a sample added before; no weight goes below zero (nor stays under epsilon).
    pub fn subtract(&mut self, value: f64, weight: f64) {
        if weight.is_nan() || weight < 0.0 {
            return;
        }
        let bucket = self.options.find_bucket(value);
        let epsilon = self.options.epsilon;
        let less = |value: f64| if value - weight < epsilon { 0.0 } else { value - weight };
        self.total = less(self.total);
        self.weights[bucket] = less(self.weights[bucket]);
        self.update_bounds();
    }

    /// Adds every sample of `other` (which has the same options).
    pub fn merge(&mut self, other: &Histogram) {
        if other.options != self.options {
            return;
        }
        for bucket in other.min_bucket..=other.max_bucket {
            self.weights[bucket] += other.weights[bucket];
        }
        self.total += other.total;
        self.min_bucket = self.min_bucket.min(other.min_bucket);
        self.max_bucket = self.max_bucket.max(other.max_bucket);
    }

    /// The value below which `percentile` (0 to 1) of the weight lies, as the end of its bucket; 0 when empty.
    pub fn percentile(&self, percentile: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let threshold = percentile * self.total;
        let mut partial = 0.0;
        let mut bucket = self.min_bucket;
        while bucket < self.max_bucket {
            partial += self.weights[bucket];
            if partial >= threshold {
                break;
            }
            bucket += 1;
        }
        if bucket < self.options.buckets - 1 {
            self.options.bucket_start(bucket + 1)
        } else {
            self.options.bucket_start(bucket)
        }
    }

    /// Whether no bucket holds at least epsilon.
    pub fn is_empty(&self) -> bool {
        self.weights[self.min_bucket] < self.options.epsilon
    }

    /// Multiplies every weight by `factor`, which leaves percentiles as they were.
    fn scale(&mut self, factor: f64) {
        if factor.is_nan() || factor < 0.0 {
            return;
        }
        for bucket in self.min_bucket..=self.max_bucket {
            self.weights[bucket] *= factor;
        }
        self.total *= factor;
        self.update_bounds();
    }

    fn update_bounds(&mut self) {
        let epsilon = self.options.epsilon;
        let last = self.options.buckets - 1;
        while self.weights[self.min_bucket] < epsilon && self.min_bucket < last {
            self.min_bucket += 1;
        }
        while self.weights[self.max_bucket] < epsilon && self.max_bucket > 0 {
            self.max_bucket -= 1;
        }
    }
}

/// When the decay factor would pass `2^MAX_DECAY_EXPONENT`, the reference time moves forward.
const MAX_DECAY_EXPONENT: f64 = 100.0;

/// A histogram whose samples weigh `2^((time - reference) / half_life)` times their weight. Only relative weights
/// matter, so the reference moves forward (rescaling every weight) whenever the exponents grow too large.
#[derive(Debug, Clone, PartialEq)]
pub struct DecayingHistogram {
    histogram: Histogram,
    /// The half-life in seconds.
    half_life: f64,
    /// Seconds since the Unix epoch, a whole number of half-lives; `None` before the first sample.
    reference: Option<f64>,
}

impl DecayingHistogram {
    /// An empty histogram with `half_life` seconds (at least a millisecond).
    pub fn new(options: HistogramOptions, half_life: f64) -> DecayingHistogram {
        let half_life = if half_life.is_finite() { half_life.max(0.001) } else { 86_400.0 };
        DecayingHistogram { histogram: Histogram::new(options), half_life, reference: None }
    }

    /// Adds a sample of `value` taken at `time` (seconds since the Unix epoch).
    pub fn add(&mut self, value: f64, weight: f64, time: f64) {
        let factor = self.decay_factor(time);
        self.histogram.add(value, weight * factor);
    }

    /// Takes away a sample added with the same value, weight and time.
    pub fn subtract(&mut self, value: f64, weight: f64, time: f64) {
        let factor = self.decay_factor(time);
        self.histogram.subtract(value, weight * factor);
    }

    /// Adds every sample of `other`, first bringing both to the younger reference.
    pub fn merge(&mut self, other: &DecayingHistogram) {
        if self.half_life != other.half_life {
            return;
        }
        let mut other = other.clone();
        match (self.reference, other.reference) {
            (_, None) => {}
            (None, Some(theirs)) => self.shift(theirs),
            (Some(ours), Some(theirs)) if ours < theirs => self.shift(theirs),
            (Some(ours), Some(theirs)) if theirs < ours => other.shift(ours),
            _ => {}
        }
        self.histogram.merge(&other.histogram);
    }

    /// See [`Histogram::percentile`].
    pub fn percentile(&self, percentile: f64) -> f64 {
        self.histogram.percentile(percentile)
    }

    /// See [`Histogram::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    fn shift(&mut self, to: f64) {
        let to = (to / self.half_life + 0.5).floor() * self.half_life;
        if let Some(reference) = self.reference {
            let exponent = ((reference - to) / self.half_life + 0.5).floor();
            self.histogram.scale(2f64.powf(exponent));
        }
        self.reference = Some(to);
    }

    fn decay_factor(&mut self, time: f64) -> f64 {
        let stale = self.reference.is_none_or(|reference| time > reference + self.half_life * MAX_DECAY_EXPONENT);
        if stale {
            self.shift(time);
        }
        let reference = self.reference.unwrap_or(time);
        2f64.powf((time - reference) / self.half_life)
    }
}
