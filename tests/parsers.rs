//! Property tests for every parser and validator of outside input: the upload (zip, GroupLens'
//! `.dat`, RecBole's atomic files), `dataset.json`, `meta.json` and `config.json`, and the
//! forgetting settings as the page's URL and the CLI give them. The invariant, on random and on
//! mutated valid inputs: a clear error or a correct result, never a panic, and never an
//! allocation beyond a stated bound (counted per thread by this binary's allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};
use std::path::Path;

use proptest::prelude::*;
use recforget::checkpoint::{CheckpointMeta, model_from_bytes};
use recforget::data::upload::{UploadedFile, raw_from_files};
use recforget::data::{Dataset, Split, source};
use recforget::model::Recommender;
use recforget::unlearning::{ForgetConfig, params, parse_params};

/// Counts the bytes this thread holds and the most it held since the last [`reset_peak`].
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = HELD.try_with(|held| {
            held.set(held.get() + layout.size());
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(held.get())));
        });
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|held| held.set(held.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns what it returned with the most bytes it held at once.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = HELD.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let out = f();
    (out, PEAK.with(Cell::get).saturating_sub(base))
}

/// The most any parser may hold for inputs of a few KB: a bound far below what an input's
/// declared sizes or counts could make it ask for.
const BOUND: usize = 64 << 20;

const MOVIES: &str =
    "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Heat (1995)::Action|Crime|Thriller\n3::Mis\u{e9}rables (1995)::Drama\n";
const RATINGS: &str = "1::1::5::978300760\n1::2::3::978302109\n2::3::4::978301968\n";

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    for (name, bytes) in entries {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
    out.into_inner()
}

/// `bytes` with each (position, value) written over it, then cut to `keep` of its length.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], keep: f64) -> Vec<u8> {
    for &(at, value) in edits {
        if !bytes.is_empty() {
            let at = at % bytes.len();
            bytes[at] = value;
        }
    }
    bytes.truncate((bytes.len() as f64 * keep) as usize);
    bytes
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars().map(|c| c as u32 as u8).collect()
}

/// Lines made of the tokens these formats are built from.
fn token_text() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "::",
        "|",
        "\t",
        "\n",
        "\r\n",
        " ",
        "1",
        "2",
        "-1",
        "99999999999999999999",
        "1.5",
        "NaN",
        "Action",
        "Drama",
        "Nope",
        "Toy Story (1995)",
        "user_id:token",
        "item_id:token",
        "timestamp:float",
        "genre:token",
        "é",
        "\u{0}",
        "",
    ]);
    prop::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
}

const NAMES: [&str; 6] = ["ml-1m.zip", "ratings.dat", "movies.dat", "ml-1m.inter", "ml-1m.item", "notes.txt"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_upload_reader_refuses_or_reads_mutated_zips_within_the_bound(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        keep in 0.0f64..=1.0,
    ) {
        let zip = zip_of(&[("ml-1m/movies.dat", &latin1(MOVIES)), ("ml-1m/ratings.dat", RATINGS.as_bytes())]);
        let bytes = mutate(zip, &edits, keep);
        let (result, peak) = peak_of(|| raw_from_files(vec![UploadedFile { name: "ml-1m.zip".into(), bytes }]));
        prop_assert!(peak < BOUND, "held {peak} bytes");
        if let Ok(raw) = result {
            prop_assert!(raw.interactions.iter().all(|i| raw.catalog.contains_key(&i.item)));
        }
    }

    #[test]
    fn the_upload_reader_refuses_or_reads_any_files(
        files in prop::collection::vec((0..NAMES.len(), token_text()), 0..4),
    ) {
        let files = files.into_iter().map(|(n, text)| UploadedFile { name: NAMES[n].into(), bytes: text.into_bytes() }).collect();
        let (result, peak) = peak_of(|| raw_from_files(files));
        prop_assert!(peak < BOUND, "held {peak} bytes");
        if let Err(e) = result {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn the_dat_and_recbole_readers_refuse_or_read_any_text(movies in token_text(), ratings in token_text()) {
        let (_, peak) = peak_of(|| {
            let _ = source::read_official_bytes(movies.as_bytes(), Path::new("movies.dat"), ratings.as_bytes(), Path::new("ratings.dat"));
            let _ = source::read_atomic_inter(movies.as_bytes(), Path::new("ml-1m.inter"));
            let _ = source::read_atomic_item(ratings.as_bytes(), Path::new("ml-1m.item"));
        });
        prop_assert!(peak < BOUND, "held {peak} bytes");
    }

    #[test]
    fn a_dataset_json_is_refused_or_usable(
        numbers in prop::collection::vec(prop::sample::select(vec!["0", "1", "2", "3", "-1", "4294967296", "1e400", "null", "\"x\"", "[]"]), 10),
        users in 0usize..4,
    ) {
        // A small dataset with some of its numbers replaced, and some users dropped.
        let n = |i: usize| numbers[i];
        let all_users = [
            format!(r#"{{"key":"u1","items":[0,1,{},0,1]}}"#, n(0)),
            format!(r#"{{"key":"u2","items":[{},{},2]}}"#, n(1), n(2)),
            format!(r#"{{"key":"u3","items":[{}]}}"#, n(3)),
        ];
        let json = format!(
            r#"{{"name":"t","items":[{{"title":"A","genres":{}}},{{"title":"B","genres":{}}},{{"title":"{}","genres":1}}],"users":[{}]}}"#,
            n(4), n(5), if n(6) == "0" { "A" } else { "C" }, all_users[..users.min(3)].join(",")
        );
        let parsed = Dataset::from_json(json.as_bytes(), Path::new("dataset.json"));
        if n(6) == "0" {
            prop_assert!(parsed.is_err(), "two items titled A were accepted");
        }
        if let Ok(dataset) = parsed {
            // Everything a command does first with a dataset works on an accepted one.
            for split in [Split::Validation, Split::Test] {
                let cases = dataset.eval_cases(split);
                prop_assert!(cases.iter().all(|c| c.target.index() < dataset.num_items()));
            }
            let _ = (dataset.train_sequences(), dataset.stats(), dataset.fingerprint(), dataset.genre_item_counts());
            let _ = dataset.web_sample(2, 7);
        }
    }

    #[test]
    fn a_meta_or_config_json_is_refused_or_usable(
        value in prop::sample::select(vec!["0", "1", "2", "64", "-1", "1e12", "18446744073709551615", "1e400", "null", "\"x\"", "0.5", "[]"]),
        field in 0usize..6,
    ) {
        let fields = ["d_model", "n_layers", "n_heads", "d_ff", "max_len", "num_items"];
        let mut config = serde_json::json!({
            "model": "bert4rec", "num_items": 5, "max_len": 8, "d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16, "dropout": 0.1
        });
        config[fields[field]] = serde_json::from_str(value).unwrap_or(serde_json::Value::Null);
        let device = recforget::Backend::Flex.device().unwrap();
        let (result, peak) = peak_of(|| model_from_bytes::<Recommender>(config.to_string().as_bytes(), vec![1, 2, 3], &device, Path::new("m")));
        prop_assert!(result.is_err(), "three bytes are no weights");
        prop_assert!(peak < BOUND, "held {peak} bytes for {}={value}", fields[field]);

        let meta = format!(r#"{{"dataset":"t","vocabularyFingerprint":{value},"epochs":{value},"seed":1,"trainSeconds":{value},"command":"x"}}"#);
        if let Ok(meta) = serde_json::from_str::<CheckpointMeta>(&meta) {
            let _ = (meta.schedule(), meta.deleted_genres(), meta.check_original(Path::new("m")));
        }
    }

    #[test]
    fn accepted_settings_always_validate(
        pairs in prop::collection::vec((0usize..20, prop::sample::select(vec![
            "0", "1", "2", "0.3", "50", "-1", "1e9", "NaN", "inf", "", "rows", "neurons,rows", "distill", "zero-weights", "x",
        ])), 0..8),
    ) {
        let table = params(&ForgetConfig::default());
        let keys: Vec<&str> = table.iter().map(|p| p.key).chain(["unknown"]).collect();
        let values: Vec<(&str, &str)> = pairs.iter().map(|&(k, v)| (keys[k % keys.len()], v)).collect();
        let parsed = parse_params(&ForgetConfig::default(), values.iter().copied());
        // What the page keeps of any URL is always a configuration that runs.
        prop_assert!(parsed.config.validate().is_ok(), "{values:?} -> {:?}", parsed.config.validate());
    }
}
