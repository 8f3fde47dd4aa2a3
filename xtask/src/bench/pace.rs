//! Benchmark 4: bulk jobs that find the server's pace (`np6::bench`)
//! against a loopback server that admits R requests per second and answers
//! `429` with `Retry-After` beyond: the adaptive pace at two rates an order
//! of magnitude apart, with the same default settings, measured over the
//! whole job (its start included), and the fixed pace just under R before
//! and after it counted attempts instead of records.

use np6::bench::{Figures, Pacing, measure};

use super::{Row, Sizes};

/// Where `np6::bench` starts measuring the steady rate.
const STEADY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The rows of the pacing benchmark; `--quick` runs one small case.
///
/// # Errors
///
/// When the loopback server or the client cannot start.
pub fn pace(sizes: Sizes) -> Result<Vec<Row>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    if !sizes.enforce {
        let figures = runtime.block_on(measure(Pacing::Adaptive, 200.0, 200, false))?;
        return Ok(rows(&figures, false));
    }
    let all = runtime.block_on(np6::bench::run())?;
    Ok(all
        .iter()
        .flat_map(|f| rows(f, f.pacing == Pacing::Adaptive && !f.stall))
        .collect())
}

/// The admitted rate over the whole job (slow start included) and after
/// its first 5 s against R, and the share of requests answered `429`:
/// targets for the adaptive cases without a stall, information for the
/// others.
fn rows(f: &Figures, targeted: bool) -> Vec<Row> {
    let pacing = match f.pacing {
        Pacing::Adaptive => "adaptive".to_owned(),
        Pacing::Fixed(rate) => format!("rate_limit({rate})"),
        Pacing::RecordsPaced(rate) => format!("records paced at {rate}/s (former)"),
    };
    let case = format!(
        "bulk pace, {pacing}, R={}{}",
        f.server_rate,
        if f.stall { " with a 1 s stall" } else { "" }
    );
    let detail = format!(
        "{} records, {} lost; {} requests; whole job {:.1}/s ({:.0}% of R) in {:.1} s",
        f.records,
        f.lost,
        f.requests,
        f.admitted_rate,
        100.0 * f.admitted_rate / f.server_rate,
        f.elapsed.as_secs_f64()
    );
    let mut rows = vec![Row {
        name: format!("{case}: whole-job rate / R"),
        ratio: f.admitted_rate / f.server_rate,
        detail: detail.clone(),
        target: targeted.then_some((0.95, true)),
    }];
    // The steady rate is measured after the first 5 s: only a longer job
    // has one.
    if f.elapsed > STEADY_AFTER {
        rows.push(Row {
            name: format!("{case}: steady rate (after 5 s) / R"),
            ratio: f.steady_rate / f.server_rate,
            detail,
            target: None,
        });
    }
    rows.push(Row {
        name: format!("{case}: requests answered 429"),
        ratio: f.throttled_share(),
        detail: format!("{} of {}; {} records lost", f.throttled, f.requests, f.lost),
        target: targeted.then_some((0.01, false)),
    });
    rows
}
