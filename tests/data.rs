//! Data: the three source formats, their errors, 5-core filtering, the split, and real ML-1M.

mod common;

use std::io::Write;
use std::path::Path;

use recforget::Error;
use recforget::data::{Dataset, Genre, ItemId, Split, source};

const INTER: &str = "user_id:token\titem_id:token\trating:float\ttimestamp:float\r\n\
1m_2\tB (1990)\t3\t20\r\n\
1m_2\tA (1990)\t4\t10\r\n\
1m_10\tA (1990)\t5\t5\r\n";

const ITEM: &str = "item_id:token\tmovie_title:token\trelease_year:float\tgenre:token\r\n\
A (1990)\tA\t1990\tAction Sci-Fi\r\n\
B (1990)\tB\t1990\tChildren's Comedy\r\n";

#[test]
fn reads_recbole_atomic_files_with_crlf() {
    let path = Path::new("ml-1m.inter");
    let rows = source::read_atomic_inter(INTER.as_bytes(), path).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].user, "1m_2");
    assert_eq!(rows[0].item, "B (1990)");
    assert_eq!(rows[0].timestamp, 20);
    let catalog = source::read_atomic_item(ITEM.as_bytes(), Path::new("ml-1m.item")).unwrap();
    assert!(catalog["A (1990)"].contains(Genre::SciFi));
    assert!(catalog["B (1990)"].contains(Genre::Children));
}

#[test]
fn sorts_by_time_and_orders_users_numerically() {
    let raw = source::RawData {
        interactions: source::read_atomic_inter(INTER.as_bytes(), Path::new("x")).unwrap(),
        catalog: source::read_atomic_item(ITEM.as_bytes(), Path::new("y")).unwrap(),
    };
    let ds = Dataset::from_raw("t", &raw, 1).unwrap();
    assert_eq!(ds.users[0].key, "1m_2");
    assert_eq!(ds.users[1].key, "1m_10");
    // User 2 saw A (t=10) before B (t=20); ids follow first appearance.
    assert_eq!(ds.items[0].title, "A (1990)");
    assert_eq!(ds.users[0].items, vec![ItemId(0), ItemId(1)]);
}

#[test]
fn damaged_files_name_the_line_and_the_problem() {
    let bad_fields = "user_id:token\titem_id:token\ttimestamp:float\n1\tA\n";
    let err = source::read_atomic_inter(bad_fields.as_bytes(), Path::new("f.inter")).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("expected 3"), "{err}");

    let bad_time = "user_id:token\titem_id:token\ttimestamp:float\n1\tA\tyesterday\n";
    let err = source::read_atomic_inter(bad_time.as_bytes(), Path::new("f.inter")).unwrap_err();
    assert!(err.to_string().contains("yesterday"), "{err}");

    let no_header = "user\titem\n1\tA\n";
    let err = source::read_atomic_inter(no_header.as_bytes(), Path::new("f.inter")).unwrap_err();
    assert!(err.to_string().contains("user_id"), "{err}");

    let bad_genre = "item_id:token\tgenre:token\nA\tCooking\n";
    let err = source::read_atomic_item(bad_genre.as_bytes(), Path::new("f.item")).unwrap_err();
    assert!(err.to_string().contains("Cooking"), "{err}");

    let err = source::read_atomic_inter("".as_bytes(), Path::new("empty.inter")).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn reads_the_official_grouplens_files_in_latin1() {
    let dir = tempfile::tempdir().unwrap();
    let mut movies = std::fs::File::create(dir.path().join("movies.dat")).unwrap();
    movies.write_all(b"1::Toy Story (1995)::Animation|Children's|Comedy\n").unwrap();
    movies.write_all(b"2::Caf\xe9 (1990)::Drama\n").unwrap();
    std::fs::write(dir.path().join("ratings.dat"), "1::2::5::100\n1::1::3::50\n").unwrap();
    let raw = source::read_official(dir.path()).unwrap();
    assert_eq!(raw.interactions.len(), 2);
    assert_eq!(raw.interactions[0].item, "Café (1990)");
    // Users are keyed as in the RecBole files, so both sources give a user the same key.
    assert_eq!(raw.interactions[0].user, "1m_1");
    assert!(raw.catalog["Toy Story (1995)"].contains(Genre::Animation));

    std::fs::write(dir.path().join("ratings.dat"), "1::9::5::100\n").unwrap();
    let err = source::read_official(dir.path()).unwrap_err();
    assert!(err.to_string().contains("movie 9"), "{err}");

    let missing = tempfile::tempdir().unwrap();
    let err = source::read_official(missing.path()).unwrap_err();
    assert!(err.to_string().contains("movies.dat"), "{err}");
}

#[test]
fn reads_steam_format_and_filters_five_core() {
    // Users 0..6 each see items 0..5 in order; user 6 sees a rare item 9 once.
    let mut text = String::new();
    for u in 0..6 {
        for i in 0..5 {
            text.push_str(&format!("{u} {i}\n"));
        }
    }
    text.push_str("6 9\n6 0\n");
    let raw = source::read_steam(text.as_bytes(), Path::new("steam.txt")).unwrap();
    let ds = Dataset::from_raw("steam", &raw, 5).unwrap();
    let stats = ds.stats();
    assert_eq!((stats.users, stats.items, stats.interactions), (6, 5, 30));
    let err = source::read_steam("1 2 3\n".as_bytes(), Path::new("steam.txt")).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 1, .. }), "{err}");
}

#[test]
fn leave_one_out_split() {
    let ds = common::cyclic(3, 10, 6);
    let train = ds.train_sequences();
    assert_eq!(train[0], &ds.users[0].items[..4]);
    let valid = ds.eval_cases(Split::Validation);
    let test = ds.eval_cases(Split::Test);
    assert_eq!(valid[1].target, ds.users[1].items[4]);
    assert_eq!(valid[1].history, ds.users[1].items[..4]);
    assert_eq!(test[1].target, ds.users[1].items[5]);
    assert_eq!(test[1].history, ds.users[1].items[..5]);
}

#[test]
fn prepared_ml1m_matches_the_published_counts() {
    let Some(ds) = common::ml1m() else { return };
    let stats = ds.stats();
    assert_eq!(stats.users, 6040);
    assert_eq!(stats.items, 3416);
    assert_eq!(stats.interactions, 999_611);
    assert!(stats.min_length >= 5);
    assert_eq!(ds.items.iter().filter(|i| i.genres.is_empty()).count(), 0);
    // Many movies carry several genres.
    assert!(ds.items.iter().filter(|i| i.genres.iter().count() > 1).count() > 1000);
    // Users' sequences are chronological per the source (user 1's first rating in time order).
    let toy = ds.item_by_title("Toy Story (1995)").unwrap();
    assert!(ds.has_genre(toy, Genre::Animation));
}

#[test]
fn saved_datasets_round_trip_and_damage_is_reported() {
    let ds = common::cyclic(4, 7, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.json");
    ds.save(&path).unwrap();
    assert_eq!(Dataset::load(&path).unwrap(), ds);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = Dataset::load(&path).unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
}

#[test]
fn a_deletion_set_removes_its_users_interactions_from_training_only() {
    use recforget::data::{Deletion, DeletionSet, Scope, Users};
    let ds = common::two_genres(8, 12);
    let set = DeletionSet {
        name: "d".into(),
        requests: vec![
            Deletion { users: Users::Keys(vec!["u0".into()]), scope: Scope::All },
            Deletion { users: Users::Keys(vec!["u1".into()]), scope: Scope::Genre(Genre::Action) },
        ],
    };
    set.check(&ds).unwrap();
    let without = ds.without_in_training(&set);
    assert_eq!(without.name, "two-genres-without-d");
    // u0 keeps only its held-out items; u1 loses its Action training items; u2 is untouched.
    assert_eq!(without.users[0].items, ds.users[0].items[10..]);
    let train1 = &without.users[1].items[..without.users[1].items.len() - 2];
    assert!(!train1.is_empty() && train1.iter().all(|&i| !ds.has_genre(i, Genre::Action)));
    assert!(ds.users[1].items[..10].iter().any(|&i| ds.has_genre(i, Genre::Action)));
    assert_eq!(without.users[2], ds.users[2]);
    assert_eq!(without.items, ds.items);
    // Asked as the retrained model is: u0 has no history left; u1's history has no Action item.
    let cases = ds.cases_after(&set, ds.eval_cases(Split::Validation));
    assert!(cases.iter().all(|c| c.user != 0));
    let u1 = cases.iter().find(|c| c.user == 1).expect("u1's own-genre target stays");
    assert!(u1.history.iter().all(|&i| !ds.has_genre(i, Genre::Action)));
    assert_eq!(cases.len(), 7);
    // Genre-wide forgetting is the deletion of every user's genre interactions.
    let genre = ds.without_genre_in_training(Genre::Action);
    assert_eq!(genre, ds.without_in_training(&DeletionSet::genre_wide(Genre::Action)));
    assert_eq!(genre.name, "two-genres-without-Action");
}

#[test]
fn the_standard_deletion_set_is_drawn_from_the_page_sample() {
    use recforget::data::{DELETION_SET, DeletionSet, Scope, Users, WEB_SAMPLE};
    let Some(full) = common::ml1m() else { return };
    let sample = full.web_sample(WEB_SAMPLE.0, WEB_SAMPLE.1);
    let set = DeletionSet::standard(&sample);
    assert_eq!(set, DeletionSet::standard(&full.web_sample(WEB_SAMPLE.0, WEB_SAMPLE.1)));
    set.check(&full).unwrap();
    let keys = |i: usize| match &set.requests[i].users {
        Users::Keys(keys) => keys.clone(),
        Users::Everyone => panic!("D names its users"),
    };
    let (all, action) = (keys(0), keys(1));
    assert_eq!((all.len(), action.len()), (DELETION_SET.0, DELETION_SET.0));
    assert!(all.iter().all(|k| !action.contains(k)));
    assert!(all.iter().chain(&action).all(|k| sample.users.iter().any(|u| &u.key == k)));
    assert_eq!((set.requests[0].scope, set.requests[1].scope), (Scope::All, Scope::Genre(Genre::Action)));
    let without = full.without_in_training(&set);
    let removed = full.stats().interactions - without.stats().interactions;
    assert!(removed > 10_000, "{removed}");
    eprintln!("D removes {removed} training interactions");
}
