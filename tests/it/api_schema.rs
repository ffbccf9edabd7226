//! The committed SDL (`api/schema.graphql`) is the schema the code serves.

use std::path::Path;

#[test]
fn committed_schema_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/schema.graphql");
    let current = newsgraph_api::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != current {
        let first = committed
            .lines()
            .zip(current.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(current.lines().count()));
        let show = |text: &str| {
            text.lines()
                .skip(first.saturating_sub(2))
                .take(6)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "api/schema.graphql differs from the schema in the code, from line {}:\n--- committed\n{}\n--- code\n{}\n\
             If the change is intended, regenerate it: UPDATE_SCHEMA=1 cargo nextest run -E 'test(committed_schema_matches_the_code)'",
            first + 1,
            show(&committed),
            show(&current)
        );
    }
}
