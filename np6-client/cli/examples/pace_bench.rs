//! Prints the bulk pacing figures (`np6::bench`); run it in release:
//! `cargo run --release -p np6 --example pace_bench`.

#[tokio::main]
async fn main() -> Result<(), String> {
    for figures in np6::bench::run().await? {
        // The target (>= 90% of R, <= 2% 429) is for the adaptive pace
        // against a steady server; the other rows are for comparison.
        let verdict = match figures.pacing {
            np6::bench::Pacing::Adaptive if !figures.stall && figures.meets_target() => {
                " meets the target"
            }
            np6::bench::Pacing::Adaptive if !figures.stall => " MISSES the target",
            _ => "",
        };
        println!("{figures}{verdict}");
    }
    Ok(())
}
