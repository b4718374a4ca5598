//! `capillary-emulator generate`: a synthetic universe of a chosen size, the same for the same
//! seed, for benchmarks and for trying the endpoints on realistic volumes.
//!
//! The default tenant first gets the startup bundle (so the documents' samples still answer and
//! reset restores it), then generated orgs are added next to it: each with a till
//! (`gen<N>.till` / `demo123`) and an OAuth client (`gen<N>-key` / `gen<N>-secret`), a program,
//! customers with a mobile, an email and an external id, events of every kind the explode renders,
//! their ledger entries and awards, and target groups with monthly periods, milestones and
//! streaks whose achievements are `TargetCompleted` events in the same ledger — the same fact seen
//! from all five endpoints, as in the default bundle. Rows go in with `COPY`; `ANALYZE` runs after.

use std::{
    fmt::Write as _,
    time::{Duration, Instant},
};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use indicatif::ProgressBar;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use crate::{
    fixtures::{self, Bundle},
    store,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    /// Points ledger entries in all (the generated orgs' customers share them).
    pub ledger_entries: u64,
    pub orgs: u32,
    /// Ledger entries per customer, on average.
    pub entries_per_customer: u64,
}

/// What a run wrote: rows per table, and how long it took.
#[derive(Debug, Clone)]
pub struct Figures {
    pub rows: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
}

impl Figures {
    pub fn rows_of(&self, table: &str) -> u64 {
        self.rows.iter().find(|(name, _)| *name == table).map_or(0, |(_, rows)| *rows)
    }
}

/// The first generated org's id; the others follow.
pub const FIRST_ORG_ID: i64 = 900_001;
/// Generated ids start here, far above the default bundle's, so that both fit in one universe.
const ID_BASE: i64 = 80_000_000_000;
/// md5("demo123"), the password of every generated till.
const DEMO_PASSWORD_MD5: &str = "62cc2d8b4bf2d8728120d052163a77df";
/// Months of activity, ending at the default bundle's frozen clock (June 2024).
const MONTHS: i64 = 18;
/// Monthly periods a customer holds targets in (the most recent ones).
const TARGET_MONTHS: i64 = 6;

/// The generated universe's customer ids, in order: the benchmark picks from them.
pub fn customer_id(index: u64) -> i64 {
    ID_BASE + index as i64
}

/// Loads `bundle` into the default tenant, then adds the generated universe, in one transaction.
pub async fn generate(db: &PgPool, bundle: &Bundle, source: &str, plan: &Plan, progress: &ProgressBar) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let mut tx = db.begin().await?;
    fixtures::load_in(&mut tx, "public", bundle, source).await?;
    // Rows are consistent by construction; a superuser skips the per-row foreign-key triggers.
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetch_one(&mut *tx).await?;
    if superuser {
        sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await?;
    }
    // Building an index once at the end is several times faster than keeping it current row by
    // row; the primary keys stay, as the constraints need them.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('%I', i.indexname), i.indexdef FROM pg_indexes i
         WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = 'public'::regnamespace)",
    )
    .bind(TABLES.iter().map(|(name, _)| *name).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(AssertSqlSafe(format!("DROP INDEX public.{name}"))).execute(&mut *tx).await?;
    }
    let mut writer = Writer::default();
    let mut universe = Universe::new(plan);
    universe.configuration(&mut writer);
    writer.flush(&mut tx).await?;
    universe.customers(&mut writer);
    writer.flush(&mut tx).await?;
    progress.set_length(plan.ledger_entries);
    for index in 0..universe.customers {
        universe.activity(index, &mut writer);
        progress.set_position(universe.ledger_entries);
        if writer.pending_bytes() > 8 << 20 {
            writer.flush(&mut tx).await?;
        }
    }
    writer.flush(&mut tx).await?;
    for (_, definition) in &indexes {
        sqlx::query(AssertSqlSafe(definition.clone())).execute(&mut *tx).await?;
    }
    restart_identities(&mut tx).await?;
    if superuser {
        sqlx::query("SET LOCAL session_replication_role = origin").execute(&mut *tx).await?;
    }
    store::tenants::notify_change(&mut *tx, "bundle").await?;
    tx.commit().await?;
    progress.finish_and_clear();
    store::meta::analyze(db, "public").await?;
    Ok(Figures { rows: writer.rows, elapsed: started.elapsed() })
}

/// Identity sequences continue past the generated ids, so rows clients create never clash.
async fn restart_identities(tx: &mut PgConnection) -> sqlx::Result<()> {
    for table in store::bundle::universe_tables(tx).await? {
        let Some(column) = &table.identity else { continue };
        let sql = format!("SELECT coalesce(max(\"{column}\"), 0) FROM \"{}\"", table.name);
        let highest: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
        store::bundle::restart_identity(tx, &table, highest + 1).await?;
    }
    Ok(())
}

/// The tables written, parents first: the order every flush copies them in.
const TABLES: &[(&str, &str)] = &[
    ("orgs", "org_id, name, time_zone"),
    ("tills", "till_id, org_id, code, name, password_md5"),
    ("oauth_clients", "client_key, org_id, client_secret, ttl_seconds, default_till_id"),
    ("programs", "program_id, org_id, name, description, is_default"),
    ("points_categories", "points_category_id, org_id, program_id, name, category_type"),
    ("promotions", "promotion_id, org_id, program_id, name, start_date, end_date"),
    ("target_groups", "target_group_id, org_id, name, description, target_evaluation_type, tracking_type, created_on, last_updated_on"),
    ("target_periods", "period_id, org_id, target_group_id, ref_code, start_date, end_date, start_time, end_time"),
    (
        "target_rules",
        "target_rule_id, org_id, target_group_id, name, description, target_type, target_entity, event_name, target_value, program_id",
    ),
    ("milestones", "milestone_id, org_id, target_rule_id, name, trigger_name, trigger_value"),
    ("streaks", "streak_id, org_id, target_group_id, name, total_target_count, target_rule_id"),
    ("customers", "customer_id, org_id, first_name, last_name, lifetime_purchases, created_on"),
    ("customer_identifiers", "org_id, customer_id, identifier_type, value, is_primary, verified, position"),
    (
        "event_logs",
        "event_log_id, org_id, customer_id, event_name, event_type_id, event_time, processing_time, till_id, event_reference_id, unique_id, request_id, generic_event_id, details",
    ),
    (
        "points_ledger_entries",
        "points_ledger_id, org_id, event_log_id, customer_id, cps_id, ledger_entry_type, points, points_category_id, program_id, created_on, event_subject_id",
    ),
    (
        "points_awards",
        "points_award_id, org_id, event_log_id, award_type, program_id, promotion_id, points_category_id, value, expires_on, expiry_type, awarded_on",
    ),
    (
        "bills",
        "event_log_id, org_id, bill_type, bill_number, gross_amount, discount, bill_amount, note, source, bill_date, return_bill_id, return_type, return_date, return_amount",
    ),
    (
        "bill_line_items",
        "event_log_id, line_item_id, org_id, position, item_code, source, serial_number, gross_amount, discount, amount, rate, qty",
    ),
    ("bill_payment_modes", "event_log_id, position, org_id, mode"),
    ("point_in_time_slabs", "event_log_id, program_id, org_id, slab_number, slab_name, is_default_program"),
    ("points_redemptions", "event_log_id, org_id, redemption_id, points_redeemed, redemption_purpose, transaction_number, billing_time"),
    ("points_redemption_programs", "event_log_id, program_id, org_id, points"),
    ("points_transfers", "event_log_id, org_id, from_customer_id, to_customer_id, notes"),
    ("points_transfer_programs", "event_log_id, side, program_id, org_id, points"),
    (
        "user_targets",
        "user_target_id, org_id, customer_id, target_rule_id, period_id, target_value, achieved_value, enrolled_on, achieved_on",
    ),
    ("user_milestones", "org_id, user_target_id, milestone_id, achieved_on"),
    ("user_streaks", "user_streak_id, org_id, streak_id, customer_id, status, current_count, achieved_user_target_id, achieved_on"),
    (
        "target_completions",
        "event_log_id, org_id, customer_id, target_group_id, source_type, source_id, target_rule_id, user_target_id, milestone_id, user_streak_id, period_id, parent_event_log_id, target_achieved_event_log_id, target_achieved_event_log_created_on, bill_id, target_value, achieved_value, trigger_value",
    ),
];

/// One value of a row in COPY's text format.
enum Field<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Time(DateTime<Utc>),
    Day(NaiveDate),
    Bool(bool),
}

use Field::{Bool, Day, Int, Null, Text, Time};

/// Rows waiting to be copied, one buffer per table, and how many each table got.
#[derive(Default)]
struct Writer {
    buffers: Vec<String>,
    rows: Vec<(&'static str, u64)>,
}

impl Writer {
    fn row(&mut self, table: &str, fields: &[Field<'_>]) {
        if self.buffers.is_empty() {
            self.buffers = vec![String::new(); TABLES.len()];
            self.rows = TABLES.iter().map(|(name, _)| (*name, 0)).collect();
        }
        let index = TABLES.iter().position(|(name, _)| *name == table).expect("a generated table");
        let buffer = &mut self.buffers[index];
        for (position, field) in fields.iter().enumerate() {
            if position > 0 {
                buffer.push('\t');
            }
            match field {
                Null => buffer.push_str("\\N"),
                Int(value) => {
                    let _ = write!(buffer, "{value}");
                }
                Text(text) => escape_into(buffer, text),
                Time(instant) => {
                    let _ = write!(buffer, "{}", instant.format("%Y-%m-%dT%H:%M:%SZ"));
                }
                Day(day) => {
                    let _ = write!(buffer, "{day}");
                }
                Bool(value) => buffer.push(if *value { 't' } else { 'f' }),
            }
        }
        buffer.push('\n');
        self.rows[index].1 += 1;
    }

    fn pending_bytes(&self) -> usize {
        self.buffers.iter().map(String::len).sum()
    }

    /// Copies every table's pending rows, parents first.
    async fn flush(&mut self, tx: &mut PgConnection) -> sqlx::Result<()> {
        for (index, (table, columns)) in TABLES.iter().enumerate() {
            let Some(buffer) = self.buffers.get_mut(index) else { return Ok(()) };
            if buffer.is_empty() {
                continue;
            }
            let mut copy = tx.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN")).await?;
            copy.send(std::mem::take(buffer).into_bytes()).await?;
            copy.finish().await?;
        }
        Ok(())
    }
}

/// COPY's text format: backslash, tab and line breaks are escaped.
fn escape_into(buffer: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '\\' => buffer.push_str("\\\\"),
            '\t' => buffer.push_str("\\t"),
            '\n' => buffer.push_str("\\n"),
            '\r' => buffer.push_str("\\r"),
            other => buffer.push(other),
        }
    }
}

/// The ids of one generated org's configuration.
#[derive(Clone, Copy)]
struct OrgIds {
    org_id: i64,
    till_id: i64,
    program_id: i64,
    category_id: i64,
    promotion_id: i64,
    /// Monthly targets, a milestone target over the whole span, and a monthly streak.
    monthly_group: i64,
    monthly_rule: i64,
    milestone_group: i64,
    milestone_rule: i64,
    milestone_period: i64,
    streak_group: i64,
    streak_rule: i64,
    streak_id: i64,
}

impl OrgIds {
    fn of(position: u32) -> OrgIds {
        let org_id = FIRST_ORG_ID + i64::from(position);
        let base = org_id * 100;
        OrgIds {
            org_id,
            till_id: base + 1,
            program_id: base + 2,
            category_id: base + 3,
            promotion_id: base + 4,
            monthly_group: base + 10,
            monthly_rule: base + 11,
            milestone_group: base + 20,
            milestone_rule: base + 21,
            milestone_period: base + 22,
            streak_group: base + 30,
            streak_rule: base + 31,
            streak_id: base + 32,
        }
    }

    /// The monthly period `month` (0: the first of the span) of a monthly group.
    fn period(group: i64, month: i64) -> i64 {
        group * 100 + month
    }

    fn milestone(&self, rank: i64) -> i64 {
        self.milestone_rule * 10 + rank
    }
}

/// The generated universe as it is written: counters that hand out ids, and the random source.
struct Universe {
    rng: StdRng,
    orgs: Vec<OrgIds>,
    customers: u64,
    target_entries: u64,
    ledger_entries: u64,
    next_event: i64,
    next_ledger: i64,
    next_line_item: i64,
    next_user_target: i64,
    next_user_streak: i64,
    span_start: DateTime<Utc>,
}

/// The first day of the month `month` months after the span's start (January 2023).
fn month_start(month: i64) -> NaiveDate {
    let months = 2023 * 12 + month;
    NaiveDate::from_ymd_opt((months / 12) as i32, (months % 12) as u32 + 1, 1).expect("a valid month")
}

fn at_midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// What kind of event to make next, weighted the way a loyalty program's ledger looks.
const KINDS: &[(&str, i32, u32)] = &[
    ("TransactionAdd", 15, 40),
    ("GenericEvent", 23, 12),
    ("PointsRedemption", 3, 12),
    ("ReturnBill", 5, 5),
    ("AllocateGoodwillPoints", 9, 5),
    ("PointsTransfer", 12, 4),
    ("ManualPointsAdjustment", 31, 3),
    ("CustomerPromotionImport", 30, 2),
    ("LineItemsPointsPromotionImport", 32, 2),
    ("BillPointsPromotionImport", 33, 2),
];

/// One ledger line to write for an event.
struct Entry {
    customer_id: i64,
    debit: bool,
    points: i64,
}

impl Universe {
    fn new(plan: &Plan) -> Universe {
        let per_customer = plan.entries_per_customer.max(1);
        let orgs = plan.orgs.max(1);
        Universe {
            rng: StdRng::seed_from_u64(plan.seed),
            orgs: (0..orgs).map(OrgIds::of).collect(),
            customers: (plan.ledger_entries / per_customer).max(1),
            target_entries: plan.ledger_entries,
            ledger_entries: 0,
            next_event: ID_BASE,
            next_ledger: ID_BASE,
            next_line_item: ID_BASE,
            next_user_target: ID_BASE,
            next_user_streak: ID_BASE,
            span_start: at_midnight(month_start(0)),
        }
    }

    fn org_of(&self, customer: u64) -> OrgIds {
        self.orgs[(customer % self.orgs.len() as u64) as usize]
    }

    fn configuration(&mut self, out: &mut Writer) {
        let created = self.span_start - TimeDelta::days(30);
        for (position, ids) in self.orgs.clone().iter().enumerate() {
            let n = position + 1;
            let (org_id, name) = (ids.org_id, format!("Generated Org {n}"));
            out.row("orgs", &[Int(org_id), Text(&name), Text(if n % 2 == 0 { "UTC" } else { "Asia/Kolkata" })]);
            let (code, key, secret) = (format!("gen{n}.till"), format!("gen{n}-key"), format!("gen{n}-secret"));
            out.row("tills", &[Int(ids.till_id), Int(org_id), Text(&code), Text("Generated till"), Text(DEMO_PASSWORD_MD5)]);
            out.row("oauth_clients", &[Text(&key), Int(org_id), Text(&secret), Int(3600), Int(ids.till_id)]);
            out.row(
                "programs",
                &[Int(ids.program_id), Int(org_id), Text("Generated Program"), Text("The generated org's program"), Bool(true)],
            );
            out.row("points_categories", &[Int(ids.category_id), Int(org_id), Int(ids.program_id), Text("Main"), Text("REGULAR_POINTS")]);
            let end = at_midnight(month_start(MONTHS)) - TimeDelta::seconds(1);
            out.row(
                "promotions",
                &[Int(ids.promotion_id), Int(org_id), Int(ids.program_id), Text("Generated promotion"), Time(self.span_start), Time(end)],
            );
            for (group, rule, group_name, tracking) in [
                (ids.monthly_group, ids.monthly_rule, "Monthly spend", "DEFAULT"),
                (ids.streak_group, ids.streak_rule, "Three months in a row", "STREAKS"),
            ] {
                out.row(
                    "target_groups",
                    &[
                        Int(group),
                        Int(org_id),
                        Text(group_name),
                        Text(group_name),
                        Text("FIXED_CALENDAR_WINDOW"),
                        Text(tracking),
                        Time(created),
                        Time(created),
                    ],
                );
                for month in 0..MONTHS {
                    let (first, next) = (month_start(month), month_start(month + 1));
                    let last = next.pred_opt().expect("a day before");
                    let ref_code = format!("{group_name} {}-{:02}", first.year(), first.month());
                    out.row(
                        "target_periods",
                        &[
                            Int(OrgIds::period(group, month)),
                            Int(org_id),
                            Int(group),
                            Text(&ref_code),
                            Day(first),
                            Day(last),
                            Time(at_midnight(first)),
                            Time(at_midnight(next) - TimeDelta::seconds(1)),
                        ],
                    );
                }
                let (kind, value) = if tracking == "STREAKS" { ("COUNT", "2") } else { ("SALES", "5000") };
                out.row(
                    "target_rules",
                    &[
                        Int(rule),
                        Int(org_id),
                        Int(group),
                        Text(group_name),
                        Text(group_name),
                        Text(kind),
                        Text("TRANSACTION"),
                        Text("TransactionAdd"),
                        Text(value),
                        Int(ids.program_id),
                    ],
                );
            }
            out.row(
                "streaks",
                &[Int(ids.streak_id), Int(org_id), Int(ids.streak_group), Text("Three months in a row"), Int(3), Int(ids.streak_rule)],
            );
            let name = "Yearly milestones";
            out.row(
                "target_groups",
                &[
                    Int(ids.milestone_group),
                    Int(org_id),
                    Text(name),
                    Text(name),
                    Text("PERIOD_AGNOSTIC_WINDOW"),
                    Text("DEFAULT"),
                    Time(created),
                    Time(created),
                ],
            );
            let (first, last) = (month_start(0), month_start(MONTHS + 6).pred_opt().expect("a day before"));
            out.row(
                "target_periods",
                &[
                    Int(ids.milestone_period),
                    Int(org_id),
                    Int(ids.milestone_group),
                    Text(name),
                    Day(first),
                    Day(last),
                    Time(at_midnight(first)),
                    Time(at_midnight(last) + TimeDelta::seconds(86_399)),
                ],
            );
            out.row(
                "target_rules",
                &[
                    Int(ids.milestone_rule),
                    Int(org_id),
                    Int(ids.milestone_group),
                    Text(name),
                    Text(name),
                    Text("SALES"),
                    Text("TRANSACTION"),
                    Text("TransactionAdd"),
                    Text("20000"),
                    Int(ids.program_id),
                ],
            );
            for (rank, trigger) in [(1, 5000), (2, 10000), (3, 20000)] {
                let milestone_name = format!("Spend {trigger}");
                out.row(
                    "milestones",
                    &[
                        Int(ids.milestone(rank)),
                        Int(org_id),
                        Int(ids.milestone_rule),
                        Text(&milestone_name),
                        Text(&milestone_name),
                        Int(trigger),
                    ],
                );
            }
        }
    }

    fn customers(&mut self, out: &mut Writer) {
        const FIRST: &[&str] = &["Asha", "Ravi", "Meera", "Arjun", "Priya", "Kiran", "Nisha", "Vikram", "Divya", "Rahul"];
        const LAST: &[&str] = &["Iyer", "Sharma", "Rao", "Patel", "Nair", "Gupta", "Reddy", "Singh", "Das", "Menon"];
        for index in 0..self.customers {
            let org_id = self.org_of(index).org_id;
            let id = customer_id(index);
            let first = FIRST[self.rng.random_range(0..FIRST.len())];
            let last = LAST[self.rng.random_range(0..LAST.len())];
            let created = self.span_start - TimeDelta::days(self.rng.random_range(1..365));
            let purchases = self.rng.random_range(0..200_000).to_string();
            out.row("customers", &[Int(id), Int(org_id), Text(first), Text(last), Text(&purchases), Time(created)]);
            let (mobile, email, external) = (mobile_of(index), format!("customer{index}@example.com"), format!("GEN{index}"));
            out.row("customer_identifiers", &[Int(org_id), Int(id), Text("mobile"), Text(&mobile), Bool(true), Bool(true), Int(0)]);
            out.row("customer_identifiers", &[Int(org_id), Int(id), Text("email"), Text(&email), Bool(false), Bool(true), Int(1)]);
            out.row("customer_identifiers", &[Int(org_id), Int(id), Text("externalId"), Text(&external), Bool(false), Bool(false), Int(2)]);
        }
    }

    /// The ledger entries customer `index` should get so that the total comes out exact.
    fn quota(&self, index: u64) -> u64 {
        let base = self.target_entries / self.customers;
        base + u64::from(index < self.target_entries % self.customers)
    }

    /// One customer's events over the span, in time order, with their ledger entries, awards
    /// and details, and the targets, milestones and streaks their transactions achieved.
    fn activity(&mut self, index: u64, out: &mut Writer) {
        let ids = self.org_of(index);
        let customer = customer_id(index);
        let quota = self.quota(index);
        let span_seconds = (at_midnight(month_start(MONTHS)) - self.span_start).num_seconds() - 86_400 * 10;
        let mut achievements = self.targets(index, ids, out);
        achievements.sort_by_key(|achievement| achievement.at);
        // Event times first, so that ids grow with time as Capillary's do.
        let others = quota.saturating_sub(achievements.len() as u64);
        let mut times: Vec<i64> = (0..others).map(|_| self.rng.random_range(0..span_seconds)).collect();
        times.sort_unstable();
        let mut pending = achievements.into_iter().peekable();
        let mut made = 0;
        for (position, seconds) in times.into_iter().enumerate() {
            let at = self.span_start + TimeDelta::seconds(seconds);
            while let Some(achievement) = pending.next_if(|achievement| achievement.at <= at) {
                self.completion(index, ids, &achievement, out);
                made += 1;
            }
            let room = quota - made - pending.len() as u64;
            if room == 0 {
                break;
            }
            if position == 0 {
                let event = self.event(ids, customer, "CustomerRegistration", 1, at, None, "{}", out);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: false, points: 100 }], out);
                made += 1;
            } else {
                made += self.event_of_kind(index, ids, at, room >= 2, out);
            }
        }
        for achievement in pending {
            self.completion(index, ids, &achievement, out);
            made += 1;
        }
        if index.is_multiple_of(97) {
            // Now and then an event without points, as a profile update is.
            let at = self.span_start + TimeDelta::seconds(span_seconds / 2);
            self.event(ids, customer, "CustomerUpdate", 2, at, None, "{}", out);
        }
        self.ledger_entries += made;
    }

    /// Writes an event of a kind chosen by weight; returns the ledger entries it made.
    fn event_of_kind(&mut self, index: u64, ids: OrgIds, at: DateTime<Utc>, can_pair: bool, out: &mut Writer) -> u64 {
        let customer = customer_id(index);
        let total: u32 = KINDS.iter().map(|(_, _, weight)| weight).sum();
        let mut pick = self.rng.random_range(0..total);
        let &(kind, type_id, _) = KINDS
            .iter()
            .find(|(_, _, weight)| {
                let hit = pick < *weight;
                pick = pick.saturating_sub(*weight);
                hit
            })
            .unwrap_or(&KINDS[0]);
        // A transfer needs a second customer in the org and room for its two ledger lines.
        let kind =
            if kind == "PointsTransfer" && !(can_pair && self.customers >= 2 * self.orgs.len() as u64) { "TransactionAdd" } else { kind };
        let type_id = if kind == "TransactionAdd" { 15 } else { type_id };
        let org_id = ids.org_id;
        match kind {
            "TransactionAdd" => {
                let amount = self.rng.random_range(200..20_000);
                let bill_id = self.next_event + ID_BASE;
                let reference = bill_id.to_string();
                let event = self.event(ids, customer, kind, type_id, at, Some(&reference), "{}", out);
                let (bill_number, amount_text) = (format!("GEN-{bill_id}"), amount.to_string());
                out.row(
                    "bills",
                    &[
                        Int(event),
                        Int(org_id),
                        Text("loyalty"),
                        Text(&bill_number),
                        Text(&amount_text),
                        Int(0),
                        Text(&amount_text),
                        Text(""),
                        Text("instore"),
                        Time(at),
                        Null,
                        Null,
                        Null,
                        Null,
                    ],
                );
                let items = self.rng.random_range(1..=3_i64);
                for position in 0..items {
                    let line = self.next_line_item;
                    self.next_line_item += 1;
                    let share = amount / items + if position == 0 { amount % items } else { 0 };
                    let (code, share) = (format!("SKU-{}", 1000 + (line % 50)), share.to_string());
                    out.row(
                        "bill_line_items",
                        &[
                            Int(event),
                            Int(line),
                            Int(org_id),
                            Int(position),
                            Text(&code),
                            Text("instore"),
                            Int(position + 1),
                            Text(&share),
                            Int(0),
                            Text(&share),
                            Text(&share),
                            Int(1),
                        ],
                    );
                }
                let mode = ["UPI", "CASH", "CARD"][self.rng.random_range(0..3)];
                out.row("bill_payment_modes", &[Int(event), Int(0), Int(org_id), Text(mode)]);
                out.row("point_in_time_slabs", &[Int(event), Int(ids.program_id), Int(org_id), Int(1), Text("Silver"), Bool(true)]);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: false, points: amount / 100 + 1 }], out);
                1
            }
            "ReturnBill" => {
                let amount = self.rng.random_range(100..2_000);
                let bill_id = self.next_event + ID_BASE;
                let reference = bill_id.to_string();
                let event = self.event(ids, customer, kind, type_id, at, Some(&reference), "{}", out);
                let (bill_number, amount_text) = (format!("GEN-{bill_id}"), amount.to_string());
                out.row(
                    "bills",
                    &[
                        Int(event),
                        Int(org_id),
                        Null,
                        Text(&bill_number),
                        Null,
                        Null,
                        Text(&amount_text),
                        Text(""),
                        Text("instore"),
                        Time(at),
                        Int(bill_id + 1),
                        Text("AMOUNT"),
                        Time(at),
                        Text(&amount_text),
                    ],
                );
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: true, points: amount / 100 + 1 }], out);
                1
            }
            "PointsRedemption" => {
                let points = self.rng.random_range(10..500);
                let event = self.event(ids, customer, kind, type_id, at, None, "{}", out);
                let (redemption, number, points_text) = (format!("R{event}"), format!("txn-{event}"), points.to_string());
                out.row(
                    "points_redemptions",
                    &[Int(event), Int(org_id), Text(&redemption), Text(&points_text), Text("redeem"), Text(&number), Time(at)],
                );
                out.row("points_redemption_programs", &[Int(event), Int(ids.program_id), Int(org_id), Text(&points_text)]);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: true, points }], out);
                1
            }
            "PointsTransfer" => {
                let spread = self.customers / self.orgs.len() as u64;
                let step = self.rng.random_range(1..spread.max(2));
                let to_index = (index + step * self.orgs.len() as u64) % (spread * self.orgs.len() as u64);
                let to = customer_id(to_index);
                let points = self.rng.random_range(10..300);
                let event = self.event(ids, customer, kind, type_id, at, None, "{}", out);
                out.row("points_transfers", &[Int(event), Int(org_id), Int(customer), Int(to), Text("gift")]);
                let points_text = points.to_string();
                out.row("points_transfer_programs", &[Int(event), Text("FROM"), Int(ids.program_id), Int(org_id), Text(&points_text)]);
                out.row("points_transfer_programs", &[Int(event), Text("TO"), Int(ids.program_id), Int(org_id), Text(&points_text)]);
                let entries = [Entry { customer_id: customer, debit: true, points }, Entry { customer_id: to, debit: false, points }];
                self.entries(ids, event, at, &entries, out);
                2
            }
            "GenericEvent" => {
                let request = format!("{:016x}-gen", self.rng.random::<u64>());
                let details = r#"{"eventDisplayName": "walk5kms", "displayName": "Walk 5 km"}"#;
                let event = self.event(ids, customer, kind, type_id, at, Some(&request), details, out);
                let points = self.rng.random_range(5..50);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: false, points }], out);
                1
            }
            "AllocateGoodwillPoints" => {
                let details = r#"{"reason": "Service recovery", "comments": "Generated goodwill"}"#;
                let event = self.event(ids, customer, kind, type_id, at, None, details, out);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: false, points: 50 }], out);
                1
            }
            "ManualPointsAdjustment" => {
                let event = self.event(ids, customer, kind, type_id, at, None, "{}", out);
                let points = self.rng.random_range(5..100);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: true, points }], out);
                1
            }
            _ => {
                // The imports: promotion points from a file.
                let details = format!(
                    r#"{{"eventDisplayName": "{kind}", "importMeta": {{"fileName": "generated.csv", "profileName": "Generated"}}}}"#
                );
                let event = self.event(ids, customer, kind, type_id, at, None, &details, out);
                let points = self.rng.random_range(10..200);
                self.entries(ids, event, at, &[Entry { customer_id: customer, debit: false, points }], out);
                1
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        ids: OrgIds,
        customer: i64,
        kind: &str,
        type_id: i32,
        at: DateTime<Utc>,
        reference: Option<&str>,
        details: &str,
        out: &mut Writer,
    ) -> i64 {
        let event = self.next_event;
        self.next_event += 1;
        let unique = format!("U{event:x}");
        let request = format!("{:032x}", u128::from(self.rng.random::<u64>()) << 64 | u128::from(event as u64));
        let import = kind.ends_with("Import");
        let till = if import { Null } else { Int(ids.till_id) };
        let generic = if kind == "GenericEvent" { reference.map_or(Null, Text) } else { Null };
        let reference = reference.map_or(Null, Text);
        out.row(
            "event_logs",
            &[
                Int(event),
                Int(ids.org_id),
                Int(customer),
                Text(kind),
                Int(i64::from(type_id)),
                Time(at),
                Time(at),
                till,
                reference,
                Text(&unique),
                Text(&request),
                generic,
                Text(details),
            ],
        );
        event
    }

    /// The event's ledger lines, each with the award behind a credit.
    fn entries(&mut self, ids: OrgIds, event: i64, at: DateTime<Utc>, entries: &[Entry], out: &mut Writer) {
        for entry in entries {
            let ledger = self.next_ledger;
            self.next_ledger += 1;
            let points = entry.points.to_string();
            out.row(
                "points_ledger_entries",
                &[
                    Int(ledger),
                    Int(ids.org_id),
                    Int(event),
                    Int(entry.customer_id),
                    Int(ledger - ID_BASE + 1_000_000),
                    Text(if entry.debit { "DEBIT" } else { "CREDIT" }),
                    Text(&points),
                    Int(ids.category_id),
                    Int(ids.program_id),
                    Time(at),
                    Int(event),
                ],
            );
            if !entry.debit {
                let expires = at + TimeDelta::days(365);
                out.row(
                    "points_awards",
                    &[
                        Int(ledger),
                        Int(ids.org_id),
                        Int(event),
                        Text("regular"),
                        Int(ids.program_id),
                        Null,
                        Int(ids.category_id),
                        Text(&points),
                        Time(expires),
                        Text("rolling"),
                        Time(at),
                    ],
                );
            }
        }
    }

    /// The customer's targets: the six most recent months of the monthly group (about half
    /// achieved), the last three months of the streak group with the streak they make, and the
    /// milestone target with the milestones its spend passed. Returns what was achieved.
    fn targets(&mut self, index: u64, ids: OrgIds, out: &mut Writer) -> Vec<Achievement> {
        let customer = customer_id(index);
        let org_id = ids.org_id;
        let mut achievements = Vec::new();
        let mut streak_targets = Vec::new();
        for (group, rule, target, months) in
            [(ids.monthly_group, ids.monthly_rule, 5000, TARGET_MONTHS), (ids.streak_group, ids.streak_rule, 2, 3)]
        {
            for month in MONTHS - months..MONTHS {
                let user_target = self.next_user_target;
                self.next_user_target += 1;
                let start = at_midnight(month_start(month));
                // The running month is still open.
                let achieved = self.rng.random_bool(0.6) && month < MONTHS - 1;
                let at = start + TimeDelta::seconds(self.rng.random_range(86_400..86_400 * 27));
                let period = OrgIds::period(group, month);
                let achieved_value = if achieved { target } else { target * 2 / 5 };
                out.row(
                    "user_targets",
                    &[
                        Int(user_target),
                        Int(org_id),
                        Int(customer),
                        Int(rule),
                        Int(period),
                        Int(target),
                        Int(achieved_value),
                        Time(start),
                        if achieved { Time(at) } else { Null },
                    ],
                );
                if group == ids.streak_group {
                    streak_targets.push((user_target, achieved.then_some(at)));
                } else if achieved {
                    achievements.push(Achievement {
                        at,
                        group,
                        rule,
                        user_target,
                        period,
                        source: Source::UserTarget,
                        target,
                        achieved: target,
                    });
                }
            }
        }
        let user_streak = self.next_user_streak;
        self.next_user_streak += 1;
        let count = streak_targets.iter().filter(|(_, at)| at.is_some()).count() as i64;
        let completed = streak_targets.last().filter(|_| count == 3).and_then(|&(user_target, at)| at.map(|at| (user_target, at)));
        let status = if completed.is_some() { "ACHIEVED" } else { "INPROGRESS" };
        out.row(
            "user_streaks",
            &[
                Int(user_streak),
                Int(org_id),
                Int(ids.streak_id),
                Int(customer),
                Text(status),
                Int(count),
                completed.map_or(Null, |(user_target, _)| Int(user_target)),
                completed.map_or(Null, |(_, at)| Time(at)),
            ],
        );
        if let Some((user_target, at)) = completed {
            let period = OrgIds::period(ids.streak_group, MONTHS - 2);
            achievements.push(Achievement {
                at,
                group: ids.streak_group,
                rule: ids.streak_rule,
                user_target,
                period,
                source: Source::Streak(user_streak),
                target: 2,
                achieved: 2,
            });
        }
        let user_target = self.next_user_target;
        self.next_user_target += 1;
        let spent = self.rng.random_range(0..25_000);
        let enrolled = at_midnight(month_start(0));
        out.row(
            "user_targets",
            &[
                Int(user_target),
                Int(org_id),
                Int(customer),
                Int(ids.milestone_rule),
                Int(ids.milestone_period),
                Int(20_000),
                Int(spent),
                Time(enrolled),
                if spent >= 20_000 { Time(enrolled + TimeDelta::days(120)) } else { Null },
            ],
        );
        for (rank, trigger) in [(1, 5000), (2, 10000), (3, 20000)] {
            if spent < trigger {
                break;
            }
            let at = enrolled + TimeDelta::days(30 * rank) + TimeDelta::seconds(self.rng.random_range(0..86_400 * 20));
            out.row("user_milestones", &[Int(org_id), Int(user_target), Int(ids.milestone(rank)), Time(at)]);
            achievements.push(Achievement {
                at,
                group: ids.milestone_group,
                rule: ids.milestone_rule,
                user_target,
                period: ids.milestone_period,
                source: Source::Milestone(ids.milestone(rank), trigger),
                target: 20_000,
                achieved: spent,
            });
        }
        achievements
    }

    /// The `TargetCompleted` event of an achievement, its credit and its completion record.
    fn completion(&mut self, index: u64, ids: OrgIds, achievement: &Achievement, out: &mut Writer) {
        let customer = customer_id(index);
        let parent = self.next_event - 1;
        let event = self.event(ids, customer, "TargetCompleted", 25, achievement.at, None, "{}", out);
        self.entries(ids, event, achievement.at, &[Entry { customer_id: customer, debit: false, points: 100 }], out);
        let (source_type, source_id, milestone, user_streak, trigger) = match achievement.source {
            Source::UserTarget => ("USERTARGET", achievement.user_target, Null, Null, Null),
            Source::Milestone(milestone, trigger) => ("MILESTONE", milestone, Int(milestone), Null, Int(trigger)),
            Source::Streak(user_streak) => ("STREAKS", user_streak, Null, Int(user_streak), Null),
        };
        out.row(
            "target_completions",
            &[
                Int(event),
                Int(ids.org_id),
                Int(customer),
                Int(achievement.group),
                Text(source_type),
                Int(source_id),
                Int(achievement.rule),
                Int(achievement.user_target),
                milestone,
                user_streak,
                Int(achievement.period),
                Int(parent),
                Int(parent),
                Time(achievement.at),
                Null,
                Int(achievement.target),
                Int(achievement.achieved),
                trigger,
            ],
        );
    }
}

/// Which record a `TargetCompleted` event completes.
#[derive(Clone, Copy)]
enum Source {
    UserTarget,
    /// The milestone and its trigger value.
    Milestone(i64, i64),
    /// The user streak.
    Streak(i64),
}

/// A target, milestone or streak a customer achieved, to be written as a `TargetCompleted` event.
struct Achievement {
    at: DateTime<Utc>,
    group: i64,
    rule: i64,
    user_target: i64,
    period: i64,
    source: Source,
    target: i64,
    achieved: i64,
}

/// The customer's mobile number: India's country code and ten digits.
fn mobile_of(index: u64) -> String {
    format!("91{}", 7_000_000_000 + index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_would_split_a_row() {
        let mut buffer = String::new();
        escape_into(&mut buffer, "a\tb\tc\nd\\e");
        assert_eq!(buffer, "a\\tb\\tc\\nd\\\\e");
    }
}
