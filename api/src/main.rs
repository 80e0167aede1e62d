use pingyi::{cli, telemetry};

/// glibc's allocator took a fifth of the service's CPU time under load (many small,
/// short-lived allocations across threads); mimalloc takes a fraction of that. Built with
/// `no_thp`: with transparent huge pages its arena was resident in 2 MiB pieces, about
/// 30 MiB more at the same load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match cli::parse(&args) {
        Ok(command) => cli::run(command).await,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    if let Err(err) = outcome {
        eprintln!("pingyi: {err}");
        std::process::exit(1);
    }
}
