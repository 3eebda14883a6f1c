//! Deploys to a 3-node MariaDB Galera cluster: 16 processes spread over the nodes, each round
//! on a fresh database, and a node killed in the middle of a deploy.
//!
//! `TEST_GALERA_URLS` lists one URL per node, comma-separated (`.ci/galera start` prints it);
//! unset, these tests are reported as ignored. `GALERA_ROUNDS` sets the rounds (default 20).
//! The node-kill test stops and restarts a node with `.ci/galera`, so it needs root.

use std::process::Stdio;
use std::time::{Duration, Instant};

use generator_core::introspect::replace_database;
use migration::MigratorTrait as _;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use tests::deploy::counting_generated;

/// The two tests share the cluster, and one of them kills a node: one at a time.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CLUSTER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/galera");

fn node_urls() -> Vec<String> {
    let urls: Vec<String> = std::env::var("TEST_GALERA_URLS")
        .expect("TEST_GALERA_URLS is set (built without it, these tests are ignored)")
        .split(',')
        .map(str::to_owned)
        .collect();
    assert_eq!(urls.len(), 3, "TEST_GALERA_URLS lists three nodes");
    urls
}

/// One connection to a node whose reads wait for everything the cluster committed before them.
async fn connect_node(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let connection = Database::connect(options)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    connection
        .execute_unprepared("SET SESSION wsrep_sync_wait = 1")
        .await
        .unwrap();
    connection
}

async fn rows(connection: &DatabaseConnection, sql: &str) -> Vec<String> {
    connection
        .query_all_raw(Statement::from_string(DbBackend::MySql, sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn count(connection: &DatabaseConnection, sql: &str) -> i64 {
    rows(connection, &format!("SELECT CAST(({sql}) AS CHAR)"))
        .await
        .remove(0)
        .parse()
        .unwrap()
}

/// What a user compares between nodes: every column, index and check of the database, and its
/// bookkeeping.
async fn catalog_and_bookkeeping(connection: &DatabaseConnection) -> Vec<String> {
    let mut all = Vec::new();
    for sql in [
        "SELECT CONCAT_WS('|', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, \
         IS_NULLABLE, IFNULL(COLUMN_DEFAULT, 'none'), EXTRA) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
        "SELECT CONCAT_WS('|', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        "SELECT CONCAT_WS('|', TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE) FROM \
         information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME",
        "SELECT version FROM seaql_migrations ORDER BY version",
        "SELECT CONCAT_WS('|', version, checksum) FROM seaql_migrations_checksums \
         ORDER BY version",
    ] {
        all.extend(rows(connection, sql).await);
        all.push(String::new());
    }
    all
}

/// A database of its own on the cluster, seen by every node before it is used.
async fn fresh_database(urls: &[String], name: &str) -> Vec<String> {
    let first = connect_node(&urls[0]).await;
    first
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await
        .unwrap();
    first
        .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
        .await
        .unwrap();
    let urls: Vec<String> = urls.iter().map(|u| replace_database(u, name)).collect();
    for url in &urls {
        // Connecting fails until the node has applied the CREATE DATABASE.
        let start = Instant::now();
        while Database::connect(url.as_str()).await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{url} never opened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    urls
}

async fn drop_database(url: &str, name: &str) {
    connect_node(url)
        .await
        .execute_unprepared(&format!("DROP DATABASE `{name}`"))
        .await
        .unwrap();
}

/// Starts one `migrate_concurrently` process on each URL.
fn deploy(urls: &[&String], env: &[(&str, &str)]) -> Vec<tokio::process::Child> {
    urls.iter()
        .map(|url| {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_migrate_concurrently"))
                .arg(url)
                .envs(env.iter().copied())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

/// Every node holds the same schema and bookkeeping, each migration applied once, the data
/// migration run once, and no journal row or lease left.
async fn assert_deployed_once(urls: &[String], what: &str) {
    let migrations = migration::Migrator::migrations().len() as i64 + 2;
    let mut first: Option<Vec<String>> = None;
    for (n, url) in urls.iter().enumerate() {
        let node = connect_node(url).await;
        let node_name = format!("{what}, node {}", n + 1);
        assert_eq!(
            count(&node, "SELECT count(*) FROM seaql_migrations").await,
            migrations,
            "{node_name}: each migration recorded once"
        );
        assert_eq!(
            count(&node, "SELECT count(*) FROM run_counter").await,
            1,
            "{node_name}: the data migration ran more than once"
        );
        assert_eq!(
            count(&node, "SELECT count(*) FROM seaql_migrations_progress").await,
            0,
            "{node_name}: a journal row was left"
        );
        assert_eq!(
            count(&node, "SELECT count(*) FROM seaql_migrations_lock").await,
            0,
            "{node_name}: the lease was left behind"
        );
        let catalog = catalog_and_bookkeeping(&node).await;
        assert_eq!(
            catalog
                .iter()
                .filter(|line| line.starts_with("m2") && line.contains('|'))
                .count(),
            counting_generated().len(),
            "{node_name}: a checksum for each generated migration"
        );
        match &first {
            None => first = Some(catalog),
            Some(first) => assert_eq!(
                &catalog, first,
                "{node_name}: schema or bookkeeping differs from node 1"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_galera, ignore = "TEST_GALERA_URLS is not set (see README)")]
async fn sixteen_processes_over_three_galera_nodes_apply_each_migration_exactly_once_on_galera() {
    let _cluster = CLUSTER.lock().await;
    let urls = node_urls();
    let rounds: usize = std::env::var("GALERA_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        let name = format!("galera_deploy_{round}");
        let nodes = fresh_database(&urls, &name).await;
        let spread: Vec<&String> = (0..16).map(|i| &nodes[i % 3]).collect();
        for child in deploy(&spread, &[]) {
            let output = child.wait_with_output().await.unwrap();
            assert!(
                output.status.success(),
                "round {round}: a process failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert_deployed_once(&nodes, &format!("round {round}")).await;
        drop_database(&urls[0], &name).await;
    }
}

/// The node of the run holding the lease (1-3), read from the lease row.
async fn holder_node(node: &DatabaseConnection) -> Option<usize> {
    // Fails until the first run has created the table.
    let holder: String = node
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT holder FROM seaql_migrations_lock WHERE id = 1",
        ))
        .await
        .ok()??
        .try_get_by_index(0)
        .ok()?;
    let at = holder.find(", node node")? + ", node node".len();
    holder[at..at + 1].parse().ok()
}

fn cluster(verb: &str, node: usize) {
    let status = std::process::Command::new(CLUSTER_SCRIPT)
        .args([verb, &node.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "{CLUSTER_SCRIPT} {verb} {node} failed");
}

/// A node killed by the test; restarted into the cluster when dropped, so that a failing test
/// does not leave the cluster short of a node for the next.
struct KilledNode(Option<usize>);

impl KilledNode {
    fn kill(node: usize) -> KilledNode {
        cluster("kill", node);
        KilledNode(Some(node))
    }

    fn rejoin(mut self) {
        if let Some(node) = self.0.take() {
            cluster("join", node);
        }
    }
}

impl Drop for KilledNode {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            cluster("join", node);
        }
    }
}

/// The node running the lease holder is killed (SIGKILL) while the deploy is under way; the
/// processes on the other nodes take the lapsed lease over and finish, a run after it has
/// nothing left to do, and the node restarted rejoins with the same schema and bookkeeping.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_galera, ignore = "TEST_GALERA_URLS is not set (see README)")]
async fn a_node_killed_mid_deploy_is_followed_by_a_run_that_completes_on_galera() {
    let _cluster = CLUSTER.lock().await;
    let urls = node_urls();
    for (round, delay_ms) in [(0, 300u64), (1, 1500)] {
        let name = format!("galera_kill_{round}");
        let nodes = fresh_database(&urls, &name).await;
        let spread: Vec<&String> = (0..16).map(|i| &nodes[i % 3]).collect();
        // Each run of the data migration takes 2 s, the lease lapses 3 s after its holder dies.
        let children = deploy(
            &spread,
            &[("SLOW_MIGRATION_MS", "2000"), ("MIGRATION_LOCK_LEASE", "3")],
        );
        let watcher = connect_node(&nodes[0]).await;
        let start = Instant::now();
        let killed = loop {
            if let Some(node) = holder_node(&watcher).await {
                break node;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no run took the lease"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        drop(watcher);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let down = KilledNode::kill(killed);
        let mut took_over = 0;
        for (i, child) in children.into_iter().enumerate() {
            let output = child.wait_with_output().await.unwrap();
            let on = i % 3 + 1;
            assert!(
                output.status.success() || on == killed,
                "round {round}: a process on node {on} (node {killed} was killed) failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            took_over += usize::from(String::from_utf8_lossy(&output.stdout).contains("took over"));
        }
        let survivor = &nodes[killed % 3];
        let after = deploy(&[survivor], &[])
            .remove(0)
            .wait_with_output()
            .await
            .unwrap();
        assert!(
            after.status.success(),
            "round {round}: the run after the kill failed: {}",
            String::from_utf8_lossy(&after.stderr)
        );
        down.rejoin();
        assert_deployed_once(&nodes, &format!("kill round {round} (node {killed})")).await;
        eprintln!(
            "kill round {round}: node {killed} killed {delay_ms} ms after its run took the \
             lease; {took_over} run(s) took the lapsed lease over"
        );
        drop_database(&urls[0], &name).await;
    }
}
