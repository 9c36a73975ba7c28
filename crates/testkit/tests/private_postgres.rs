//! A private PostgreSQL can be stopped and started again on the same port.

use std::time::Duration;

use confab_testkit::PrivatePostgres;
use sqlx::{Connection, PgConnection};

async fn connect(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(url)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("no answer within 10 s".into()),
    }
}

async fn one(conn: &mut PgConnection) -> Result<i32, String> {
    let query = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(conn);
    match tokio::time::timeout(Duration::from_secs(10), query).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("no answer within 10 s".into()),
    }
}

#[tokio::test]
async fn a_private_postgres_stops_and_starts_again() {
    let mut pg = PrivatePostgres::new();
    let mut conn = connect(&pg.url()).await.expect("connects");
    assert_eq!(one(&mut conn).await, Ok(1));

    pg.stop();
    assert!(one(&mut conn).await.is_err(), "the open connection is cut");
    assert!(connect(&pg.url()).await.is_err(), "a new one is refused");

    pg.start();
    let mut conn = connect(&pg.url()).await.expect("connects again");
    assert_eq!(one(&mut conn).await, Ok(1));
}
