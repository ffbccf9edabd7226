//! `docker-compose.yml` and the `Dockerfile` run the product: there is no
//! Docker engine where the tests run, so the files are checked as data —
//! the services, their commands (each one a command this binary accepts),
//! healthchecks and ports — and with `docker compose config` where the
//! Compose client is installed.

use std::path::Path;
use std::process::Command;

use serde_yaml_ng::Value;

fn project_file(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

fn compose() -> Value {
    let mut compose: Value = serde_yaml_ng::from_str(&project_file("docker-compose.yml")).unwrap();
    compose.apply_merge().unwrap();
    compose
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("expected a list: {value:?}"))
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

/// `newsgraph ARGS --help` succeeds: the arguments name a real command and
/// flags it takes.
fn accepted_by_the_binary(args: &[String]) {
    let output = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`newsgraph {}` is not a command this binary takes: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn compose_runs_postgres_migrations_the_api_and_a_worker_by_default() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["postgres", "migrate", "api", "worker"]);
    for (name, service) in services {
        assert!(
            service.get("profiles").is_none(),
            "{name:?} is behind a profile: not started by `up`"
        );
    }

    // PostgreSQL stays inside the compose network: no clash with a local one
    let postgres = &compose["services"]["postgres"];
    assert!(postgres.get("ports").is_none(), "postgres publishes a host port");
    assert!(
        strings(&postgres["healthcheck"]["test"])
            .join(" ")
            .contains("pg_isready")
    );

    for name in ["migrate", "api", "worker"] {
        let service = &compose["services"][name];
        assert_eq!(service["image"].as_str(), Some("newsgraph:local"), "{name}");
        assert_eq!(service["build"].as_str(), Some("."), "{name}");
        let database = service["environment"]["DATABASE_URL"].as_str().unwrap();
        assert!(database.contains("@postgres:5432/"), "{name}: {database}");
        // .env is passed on when it exists and not required
        let env_file = &service["env_file"][0];
        assert_eq!(env_file["path"].as_str(), Some(".env"), "{name}");
        assert_eq!(env_file["required"].as_bool(), Some(false), "{name}");
        accepted_by_the_binary(&strings(&service["command"]));
    }
    assert_eq!(
        strings(&compose["services"]["api"]["command"]),
        ["serve", "--bind", "0.0.0.0:8080"]
    );
    let api = &compose["services"]["api"];
    assert_eq!(strings(&api["ports"]), ["127.0.0.1:${NEWSGRAPH_API_PORT:-8080}:8080"]);
    let health = strings(&api["healthcheck"]["test"]).join(" ");
    assert!(health.contains("http://127.0.0.1:8080/readyz"), "{health}");
    assert_eq!(
        api["depends_on"]["migrate"]["condition"].as_str(),
        Some("service_completed_successfully")
    );
    assert_eq!(strings(&compose["services"]["migrate"]["command"]), ["migrate"]);
    assert_eq!(strings(&compose["services"]["worker"]["command"]), ["work"]);
}

#[test]
fn the_compose_one_liners_are_commands_the_binary_takes() {
    let text = project_file("docker-compose.yml");
    let one_liners: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_once("docker compose ").map(|(_, rest)| rest))
        .filter(|rest| rest.starts_with("exec ") || rest.starts_with("run "))
        .collect();
    assert!(one_liners.len() >= 3, "token, demo data and import: {one_liners:?}");
    for line in one_liners {
        // the arguments after the service name (`api`)
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        let at = words
            .iter()
            .position(|w| w == "api")
            .unwrap_or_else(|| panic!("{line}"));
        let mut args = words[at + 1..].to_vec();
        if args.first().is_some_and(|w| w == "newsgraph") {
            args.remove(0); // `exec` names the program; `run` passes the entrypoint's arguments
        }
        accepted_by_the_binary(&args);
    }
}

#[test]
fn the_dockerfile_builds_the_same_binary_with_graphiql_and_a_healthcheck_client() {
    let dockerfile = project_file("Dockerfile");
    for expected in [
        "COPY api/graphiql/ ./",
        "npm ci",
        "ENV NEWSGRAPH_GRAPHIQL_DIST=",
        "cargo build --release --locked --bin newsgraph",
        "COPY --from=build /src/target/release/newsgraph /usr/local/bin/newsgraph",
        "ENTRYPOINT [\"newsgraph\"]",
    ] {
        assert!(dockerfile.contains(expected), "the Dockerfile lacks {expected:?}");
    }
    let runtime = dockerfile.rsplit("FROM ").next().unwrap();
    assert!(
        runtime.contains(" curl"),
        "the api healthcheck needs curl in the runtime image"
    );
}

/// The Compose client's own validation, where it is installed.
#[test]
fn docker_compose_config_accepts_the_file() {
    let version = Command::new("docker").args(["compose", "version"]).output();
    if !version.is_ok_and(|output| output.status.success()) {
        println!("SKIPPED: `docker compose` is not installed; the file was checked as data above");
        return;
    }
    let output = Command::new("docker")
        .args(["compose", "-f", "docker-compose.yml", "config", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
