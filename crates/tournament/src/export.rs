//! Parquet export of a tournament (`plenary export DIR`): `DIR/matches.parquet` (one
//! row per match: key, seed, role, institution metrics) and `DIR/states.parquet` (one
//! row per State per match: bloc, seat class, strategy, gain, legitimacy, exit), for
//! pandas, polars, DuckDB or Arrow. Columns are typed (64-bit integers for indices and
//! seeds, 32-bit for counts, doubles, booleans, UTF-8 strings) and nullable only where
//! a value can be missing (role fields of other formats, `exited`), so readers keep
//! every type. Rows are in match-index order whatever order the matches finished in,
//! so serial, parallel, resumed and merged runs export identical files. The file's
//! key-value metadata carries `schema_version`, `tool_version` and `tournament`.
//!
//! Built with the `parquet` feature (on by default in the `plenary` binary).

use crate::output::{self, OutputError};
use crate::plan::Role;
use crate::results::{MatchRecord, SCHEMA_VERSION, tool_version};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::format::KeyValue;
use parquet::schema::types::Type;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File of the per-match table.
pub const MATCHES_PARQUET: &str = "matches.parquet";
/// File of the per-State table.
pub const STATES_PARQUET: &str = "states.parquet";
/// Rows per row group (bounds memory: one row group of columns at a time).
const ROW_GROUP: usize = 65_536;

/// Values of one column.
enum Values {
    I64(Vec<i64>),
    I32(Vec<Option<i32>>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<Option<String>>),
}

/// One column: name, whether it may be null, values.
struct Column {
    name: &'static str,
    nullable: bool,
    values: Values,
}

impl Column {
    fn len(&self) -> usize {
        match &self.values {
            Values::I64(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    fn parquet_type(&self) -> Type {
        use parquet::basic::{LogicalType, Repetition, Type as Physical};
        let (physical, logical) = match self.values {
            Values::I64(_) => (Physical::INT64, None),
            Values::I32(_) => (
                Physical::INT32,
                Some(LogicalType::Integer {
                    bit_width: 32,
                    is_signed: true,
                }),
            ),
            Values::F64(_) => (Physical::DOUBLE, None),
            Values::Bool(_) => (Physical::BOOLEAN, None),
            Values::Str(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
        };
        Type::primitive_type_builder(self.name, physical)
            .with_repetition(if self.nullable {
                Repetition::OPTIONAL
            } else {
                Repetition::REQUIRED
            })
            .with_logical_type(logical)
            .build()
            .expect("valid column type")
    }

    fn clear(&mut self) {
        match &mut self.values {
            Values::I64(v) => v.clear(),
            Values::I32(v) => v.clear(),
            Values::F64(v) => v.clear(),
            Values::Bool(v) => v.clear(),
            Values::Str(v) => v.clear(),
        }
    }
}

fn i64c(name: &'static str) -> Column {
    Column {
        name,
        nullable: false,
        values: Values::I64(Vec::new()),
    }
}
fn i32c(name: &'static str, nullable: bool) -> Column {
    Column {
        name,
        nullable,
        values: Values::I32(Vec::new()),
    }
}
fn f64c(name: &'static str) -> Column {
    Column {
        name,
        nullable: false,
        values: Values::F64(Vec::new()),
    }
}
fn boolc(name: &'static str) -> Column {
    Column {
        name,
        nullable: false,
        values: Values::Bool(Vec::new()),
    }
}
fn strc(name: &'static str, nullable: bool) -> Column {
    Column {
        name,
        nullable,
        values: Values::Str(Vec::new()),
    }
}

/// A table being written: its columns and the file.
struct Table {
    columns: Vec<Column>,
    writer: SerializedFileWriter<File>,
    path: PathBuf,
}

fn perr(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> OutputError + '_ {
    move |e| OutputError::Other(format!("{}: {e}", path.display()))
}

impl Table {
    fn create(
        path: PathBuf,
        name: &str,
        columns: Vec<Column>,
        tournament: &str,
    ) -> Result<Table, OutputError> {
        let fields: Vec<Arc<Type>> = columns.iter().map(|c| Arc::new(c.parquet_type())).collect();
        let schema = Type::group_type_builder(name)
            .with_fields(fields)
            .build()
            .map_err(perr(&path))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::UNCOMPRESSED)
            .set_created_by(tool_version())
            .set_key_value_metadata(Some(vec![
                KeyValue::new("schema_version".into(), SCHEMA_VERSION.to_string()),
                KeyValue::new("tool_version".into(), tool_version()),
                KeyValue::new("tournament".into(), tournament.to_string()),
            ]))
            .build();
        let file = File::create(&path).map_err(output::io(&path))?;
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(perr(&path))?;
        Ok(Table {
            columns,
            writer,
            path,
        })
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    fn col(&mut self, i: usize) -> &mut Values {
        &mut self.columns[i].values
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        if self.rows() == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let err = perr(&path);
        let mut rg = self.writer.next_row_group().map_err(&err)?;
        for c in &self.columns {
            let mut w = rg
                .next_column()
                .map_err(&err)?
                .ok_or_else(|| OutputError::Other(format!("{}: column count", path.display())))?;
            match &c.values {
                Values::I64(v) => {
                    w.typed::<Int64Type>()
                        .write_batch(v, None, None)
                        .map_err(&err)?;
                }
                Values::F64(v) => {
                    w.typed::<DoubleType>()
                        .write_batch(v, None, None)
                        .map_err(&err)?;
                }
                Values::Bool(v) => {
                    w.typed::<BoolType>()
                        .write_batch(v, None, None)
                        .map_err(&err)?;
                }
                Values::I32(v) => {
                    let present: Vec<i32> = v.iter().flatten().copied().collect();
                    let def: Vec<i16> = v.iter().map(|x| i16::from(x.is_some())).collect();
                    w.typed::<Int32Type>()
                        .write_batch(&present, c.nullable.then_some(&def[..]), None)
                        .map_err(&err)?;
                }
                Values::Str(v) => {
                    let present: Vec<ByteArray> = v
                        .iter()
                        .flatten()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    let def: Vec<i16> = v.iter().map(|x| i16::from(x.is_some())).collect();
                    w.typed::<ByteArrayType>()
                        .write_batch(&present, c.nullable.then_some(&def[..]), None)
                        .map_err(&err)?;
                }
            }
            w.close().map_err(&err)?;
        }
        rg.close().map_err(&err)?;
        for c in &mut self.columns {
            c.clear();
        }
        Ok(())
    }

    fn close(mut self) -> Result<PathBuf, OutputError> {
        self.flush()?;
        let path = self.path.clone();
        self.writer.close().map_err(perr(&path))?;
        Ok(path)
    }
}

macro_rules! push {
    ($t:expr, $i:expr, I64, $v:expr) => {
        if let Values::I64(c) = $t.col($i) {
            c.push($v)
        }
    };
    ($t:expr, $i:expr, I32, $v:expr) => {
        if let Values::I32(c) = $t.col($i) {
            c.push($v)
        }
    };
    ($t:expr, $i:expr, F64, $v:expr) => {
        if let Values::F64(c) = $t.col($i) {
            c.push($v)
        }
    };
    ($t:expr, $i:expr, Bool, $v:expr) => {
        if let Values::Bool(c) = $t.col($i) {
            c.push($v)
        }
    };
    ($t:expr, $i:expr, Str, $v:expr) => {
        if let Values::Str(c) = $t.col($i) {
            c.push($v)
        }
    };
}

fn match_columns() -> Vec<Column> {
    vec![
        i64c("index"),
        strc("match_id", false),
        strc("format", false),
        strc("scenario", false),
        strc("design", false),
        i32c("replication", false),
        i64c("seed"),
        i64c("master_seed"),
        strc("tournament", false),
        strc("executor", false),
        boolc("complete"),
        strc("focal_strategy", true),
        strc("focal_class", true),
        strc("focal_state", true),
        strc("strategy_a", true),
        strc("strategy_b", true),
        strc("strategy_c", true),
        strc("bloc_a", true),
        strc("bloc_b", true),
        strc("invader", true),
        strc("resident", true),
        i32c("generation", true),
        f64c("capacity_to_act"),
        f64c("binding_share"),
        f64c("rounds_to_decision"),
        f64c("legitimacy_mean"),
        f64c("legitimacy_min"),
        f64c("inclusiveness"),
        f64c("tension_peak"),
        f64c("tension_final"),
        f64c("welfare_gain"),
        f64c("welfare_gini"),
        i32c("exits", false),
        i32c("events", false),
        i32c("reports", false),
    ]
}

fn state_columns() -> Vec<Column> {
    vec![
        i64c("match_index"),
        strc("match_id", false),
        strc("format", false),
        strc("scenario", false),
        strc("design", false),
        i32c("replication", false),
        strc("state", false),
        strc("bloc", false),
        strc("class", false),
        strc("strategy", false),
        boolc("focal"),
        f64c("capability"),
        f64c("gain"),
        f64c("legitimacy"),
        i32c("shamed", false),
        i32c("exited", true),
        i32c("violations", false),
        f64c("forfeit"),
        f64c("score"),
    ]
}

fn n32(x: u32) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

fn add_match(t: &mut Table, r: &MatchRecord) {
    let o = &r.outcome;
    let s = &o.summary;
    let (mut focal_strategy, mut focal_class, mut focal_state) = (None, None, None);
    let (mut a, mut b, mut c, mut ba, mut bb) = (None, None, None, None, None);
    let (mut invader, mut resident, mut generation) = (None, None, None);
    match &r.role {
        Role::Rotation {
            strategy,
            class,
            seat,
        } => {
            focal_strategy = Some(strategy.clone());
            focal_class = Some(class.clone());
            focal_state = Some(seat.clone());
        }
        Role::BlocVsBloc {
            bloc_a,
            bloc_b,
            a: sa,
            b: sb,
            c: sc,
        } => {
            a = Some(sa.clone());
            b = Some(sb.clone());
            c = Some(sc.clone());
            ba = Some(bloc_a.clone());
            bb = Some(bloc_b.clone());
        }
        Role::Evolutionary { generation: g, .. } => generation = Some(n32(*g)),
        Role::Invasion {
            invader: i,
            resident: res,
            seat,
        } => {
            invader = Some(i.clone());
            resident = Some(res.clone());
            focal_state = Some(seat.clone());
        }
        Role::Population => {}
    }
    push!(t, 0, I64, i64::try_from(r.index).unwrap_or(i64::MAX));
    push!(t, 1, Str, Some(o.match_id.clone()));
    push!(t, 2, Str, Some(r.format.clone()));
    push!(t, 3, Str, Some(o.scenario.clone()));
    push!(t, 4, Str, Some(o.design.clone()));
    push!(t, 5, I32, Some(n32(r.replication)));
    push!(t, 6, I64, i64::try_from(o.seed).unwrap_or(i64::MAX));
    push!(t, 7, I64, i64::try_from(r.master_seed).unwrap_or(i64::MAX));
    push!(t, 8, Str, Some(r.tournament.clone()));
    push!(t, 9, Str, Some(r.executor.clone()));
    push!(t, 10, Bool, o.complete);
    for (i, v) in [
        focal_strategy,
        focal_class,
        focal_state,
        a,
        b,
        c,
        ba,
        bb,
        invader,
        resident,
    ]
    .into_iter()
    .enumerate()
    {
        push!(t, 11 + i, Str, v);
    }
    push!(t, 21, I32, generation);
    for (i, v) in [
        s.capacity_to_act,
        s.binding_share,
        s.rounds_to_decision,
        s.legitimacy_mean,
        s.legitimacy_min,
        s.inclusiveness,
        s.tension_peak,
        s.tension_final,
        s.welfare_gain,
        s.welfare_gini,
    ]
    .into_iter()
    .enumerate()
    {
        push!(t, 22 + i, F64, v);
    }
    push!(t, 32, I32, Some(n32(s.exits)));
    push!(t, 33, I32, Some(n32(s.events)));
    push!(t, 34, I32, Some(n32(s.reports)));
}

fn add_states(t: &mut Table, r: &MatchRecord) {
    let o = &r.outcome;
    let focal = match &r.role {
        Role::Rotation { seat, .. } | Role::Invasion { seat, .. } => Some(seat.as_str()),
        _ => None,
    };
    for s in &o.states {
        push!(t, 0, I64, i64::try_from(r.index).unwrap_or(i64::MAX));
        push!(t, 1, Str, Some(o.match_id.clone()));
        push!(t, 2, Str, Some(r.format.clone()));
        push!(t, 3, Str, Some(o.scenario.clone()));
        push!(t, 4, Str, Some(o.design.clone()));
        push!(t, 5, I32, Some(n32(r.replication)));
        push!(t, 6, Str, Some(s.id.clone()));
        push!(t, 7, Str, Some(s.bloc.clone()));
        push!(t, 8, Str, Some(s.class.clone()));
        push!(t, 9, Str, Some(s.strategy.clone()));
        push!(t, 10, Bool, focal == Some(s.id.as_str()));
        push!(t, 11, F64, s.capability);
        push!(t, 12, F64, s.gain);
        push!(t, 13, F64, s.legitimacy);
        push!(t, 14, I32, Some(n32(s.shamed)));
        push!(t, 15, I32, s.exited.map(n32));
        push!(t, 16, I32, Some(n32(s.violations)));
        push!(t, 17, F64, s.forfeit);
        push!(t, 18, F64, s.score);
    }
}

/// Writes `DIR/matches.parquet` and `DIR/states.parquet` from `DIR/matches.jsonl`;
/// returns their paths and the number of matches.
pub fn write_parquet(dir: &Path) -> Result<(PathBuf, PathBuf, u64), OutputError> {
    let cfg = output::read_config(dir)?;
    let fp = cfg.fingerprint();
    let src = dir.join(output::MATCHES);
    // Pass 1: where each record is, by match index.
    let mut at: Vec<(u64, u64, usize)> = Vec::new();
    let mut offset = 0u64;
    output::stream_lines(&src, false, |r, text| {
        at.push((r.index, offset, text.len()));
        offset += text.len() as u64;
        Ok(())
    })?;
    at.sort_unstable();
    at.dedup_by_key(|x| x.0);
    // Pass 2: in index order.
    let mut matches = Table::create(dir.join(MATCHES_PARQUET), "match", match_columns(), &fp)?;
    let mut states = Table::create(dir.join(STATES_PARQUET), "state", state_columns(), &fp)?;
    let mut file = BufReader::new(File::open(&src).map_err(output::io(&src))?);
    let mut line = String::new();
    for (_, off, len) in &at {
        file.seek(SeekFrom::Start(*off)).map_err(output::io(&src))?;
        line.clear();
        file.read_line(&mut line).map_err(output::io(&src))?;
        let r: MatchRecord = serde_json::from_str(line[..(*len).min(line.len())].trim_end())
            .map_err(|e| OutputError::Other(format!("{}: {e}", src.display())))?;
        add_match(&mut matches, &r);
        add_states(&mut states, &r);
        if matches.rows() >= ROW_GROUP {
            matches.flush()?;
        }
        if states.rows() >= ROW_GROUP {
            states.flush()?;
        }
    }
    let m = matches.close()?;
    let s = states.close()?;
    Ok((m, s, at.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_consistent() {
        // Indices used by add_match/add_states match the column lists.
        assert_eq!(match_columns().len(), 35);
        assert_eq!(match_columns()[32].name, "exits");
        assert_eq!(match_columns()[34].name, "reports");
        assert_eq!(match_columns()[21].name, "generation");
        assert_eq!(state_columns().len(), 19);
        assert_eq!(state_columns()[18].name, "score");
        assert_eq!(state_columns()[15].name, "exited");
        for c in match_columns().iter().chain(&state_columns()) {
            let _ = c.parquet_type();
        }
    }
}
