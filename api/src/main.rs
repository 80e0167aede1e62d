use pingyi::{cli, telemetry};

/// The service makes many small, short-lived allocations across threads, on which glibc's
/// allocator spends far more of the CPU than mimalloc. Built with `no_thp`: with transparent
/// huge pages mimalloc's arena is resident in huge pages, and so larger at the same load.
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
