//! The browser facade: a handful of async exports taking and returning serde structs
//! (camelCase). The JS worker fetches the files and passes their bytes; nothing else crosses.

use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;
use wasm_bindgen::prelude::*;

use crate::backend::{AdapterInfo, CpuCores, PageBackend, choose_backend};
use crate::checkpoint::{CheckpointMeta, model_from_bytes};
use crate::claims::{CLAIMS, Claim, ClaimInputs, Judgement, judge};
use crate::data::{Dataset, DeletionSet, Genre, ItemId, Scope, Split};
use crate::measurement::audit::{AuditSettings, OthersMemo};
use crate::measurement::personal::{NEVER_TRAINED, PersonalAudit, PersonalRequest, Reference, forget_me, personal_memo};
use crate::measurement::table::{MeasuredTable, measured_table};
use crate::measurement::{EvalContext, Histories, MeasureSettings, Measurement, measure};
use crate::metrics::{NegativeSampler, score_histories, top_unseen};
use crate::model::{Bert4Rec, FfnHook};
use crate::unlearning::deletion::{DeletionConfig, DeletionMethod};
use crate::unlearning::{
    EditedModel, ForgetConfig, ForgetReport, Method, Param, RunContext, View, forget, methods_name, params, parse_params,
};

/// What the worker passes to [`Session::create`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    /// `cpu` or `webgpu`, as [`chooseBackend`](choose_backend_for_page) chose it.
    pub backend: PageBackend,
}

/// What the worker passes to [`choose_backend_for_page`]: the visitor's choice, the WebGPU
/// adapter the browser offers (none: no WebGPU) and what it allows the CPU backend.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendRequest {
    pub choice: PageBackend,
    pub adapter: Option<AdapterInfo>,
    #[serde(default)]
    pub cpu: CpuCores,
}

/// The page's backend and its label, decided here (see [`choose_backend`]).
#[wasm_bindgen(js_name = chooseBackend)]
pub fn choose_backend_for_page(request: JsValue) -> Result<JsValue, JsError> {
    let request: BackendRequest = serde_wasm_bindgen::from_value(request)?;
    let choice = choose_backend(request.choice, request.adapter.as_ref(), request.cpu).map_err(js_error)?;
    Ok(to_js(&choice)?)
}

/// One recommended (or history) item.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: u32,
    pub title: String,
    pub genres: Vec<&'static str>,
    pub score: Option<f32>,
}

/// A recommendation request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendRequest {
    pub history: Vec<u32>,
    /// Use the edited model (after Forget) rather than the original.
    #[serde(default)]
    pub edited: bool,
}

/// Top-10 and its genre mix.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendations {
    pub items: Vec<ItemView>,
    /// Share of each genre among the top-10, in MovieLens' genre order.
    pub genre_share: Vec<(&'static str, f64)>,
}

/// A forgetting request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetRequest {
    pub genre: String,
    #[serde(default)]
    pub config: ForgetConfig,
}

/// An evaluation request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateRequest {
    pub genre: String,
    pub users: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_seed() -> u64 {
    crate::metrics::NEGATIVES_SEED
}

/// Before/after figures on the shipped evaluation users.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateReport {
    pub users: usize,
    /// Original, deletion only and the edited model (and the model retrained without the genre,
    /// where one is loaded) through the one measurement, given the histories without the genre.
    pub measurement: Measurement,
    /// The measurement as the page's table, every cell formatted.
    pub table: MeasuredTable,
    /// What the claims are judged on, once something is forgotten: the same models on the
    /// paper's condition (histories as recorded) beside `measurement`, the forget's methods and
    /// changed settings, and the speedup. `recforget judge` takes it as it is.
    pub claim_inputs: Option<ClaimInputs>,
    /// The paper's claims, each judged on the paper's condition (histories as recorded) beside
    /// deletion only and the retrained model; empty while nothing is forgotten.
    pub judgements: Vec<Judgement>,
    /// The forget under test (the one forget the model holds, of this genre): its methods and
    /// seconds, to compare with retraining.
    pub forget: Option<ForgetRecord>,
    /// Why the claims are not judged although something was forgotten.
    pub not_judged: Option<String>,
}

/// A method's report as the page shows it: the report, and what it found and did in one line.
#[derive(Serialize)]
struct ForgetView<'a> {
    #[serde(flatten)]
    report: &'a ForgetReport,
    summary: String,
}

/// Every forget in order, e.g. "Comedy: rows; Action: neurons".
fn forgets_label(forgets: &[ForgetRecord]) -> String {
    forgets.iter().map(|f| format!("{}: {}", f.genre, methods_name(&f.methods))).collect::<Vec<_>>().join("; ")
}

/// One forget as the session keeps it: what forgetting took, to compare with retraining.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetRecord {
    pub genre: Genre,
    pub methods: Vec<Method>,
    pub seconds: f64,
    /// Its methods' settings that differ from the defaults (`key=value`).
    pub changed_settings: Vec<String>,
}

/// A model retrained without one genre, loaded for the claims (see [`Session::set_genre_reference`]).
struct GenreReference {
    genre: Genre,
    model: EditedModel,
    /// Its training time as if every epoch had run on the native CPU backend.
    cpu_train_seconds: Option<f64>,
}

/// The model, the data, and the state of forgetting, owned by the worker.
#[wasm_bindgen]
pub struct Session {
    device: Device,
    /// The model as shipped.
    original: EditedModel,
    /// The last epoch of the original's training schedule (a retrained model short of it is
    /// still training).
    schedule_end: usize,
    /// The model with every forget so far (the original, unedited, until the first).
    edited: EditedModel,
    dataset: Dataset,
    /// The deletion set D, drawn from the page's sample as natively, and the model retrained
    /// without it (with how the page introduces it) once the worker has loaded it.
    deletion_set: DeletionSet,
    deletion_reference: Option<(EditedModel, String)>,
    /// The original's and the deletion reference's answers about everyone else, asked by the
    /// first Forget me and kept for the next (renewed with the reference).
    others_memo: OthersMemo,
    /// Models retrained without a genre, as the worker loads them.
    genre_references: Vec<GenreReference>,
    /// Every forget since the last reset, in order.
    forgets: Vec<ForgetRecord>,
}

/// A person's request as the page sends it; without a user, a history typed on the page.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetMeRequest {
    pub user: Option<String>,
    /// `all`, or a genre's name.
    pub scope: String,
    pub method: DeletionMethod,
}

/// What the page shows of a person's request: the audit, and their recommendations before and
/// after (none after when nothing of their history is left to recommend from).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetMeView {
    pub audit: Option<PersonalAudit>,
    pub before: Option<Recommendations>,
    pub after: Option<Recommendations>,
    /// A sentence for what the lists cannot say (a history typed here, nothing left after).
    pub note: Option<String>,
    pub seconds: f64,
}

/// How much the page's audit of one request asks: fewer users of everyone else than the
/// report's 1000 (each is asked three pairs by each model), so that a request takes seconds on
/// one CPU thread.
const PERSONAL_AUDIT: AuditSettings = AuditSettings { seed: 29, others: 100, pairs_per_user: 10 };

/// The page's unlearning of one request: fewer steps than the report's deletion set needs
/// (one person's few sequences, against 200 users').
const PERSONAL_UNLEARNING: DeletionConfig = DeletionConfig { steps: 8, batch_size: 12, learning_rate: 1e-4, forget_weight: 0.5, seed: 31 };

impl Session {
    /// A history's item ids from the page, each checked against the vocabulary.
    fn items(&self, history: &[u32]) -> Result<Vec<ItemId>, JsError> {
        let count = self.dataset.num_items() as u32;
        match history.iter().find(|&&id| id >= count) {
            Some(&id) => Err(js_error(crate::Error::UnknownItem { id, max: count - 1 })),
            None => Ok(history.iter().map(|&id| ItemId(id)).collect()),
        }
    }

    /// The forget the claims judge: the one forget the model holds, of `genre`. The paper's
    /// claims are about one forget of a genre from the original: a model that holds more (two
    /// methods in turn, another genre first) is measured but not judged, and the reason given.
    fn forget_under_test(&self, genre: Genre) -> (Option<ForgetRecord>, Option<String>) {
        match self.forgets.as_slice() {
            [] => (None, None),
            [only] if only.genre == genre => (Some(only.clone()), None),
            forgets => (
                None,
                Some(format!(
                    "Not judged: the model holds {} forgets ({}), and the paper's claims are about one forget of a genre from the original model. Reset, then forget {genre} once, to judge them.",
                    forgets.len(),
                    forgets_label(forgets)
                )),
            ),
        }
    }

    /// The edited model's column name: its method, or every forget it holds.
    fn after_label(&self, forget: Option<&ForgetRecord>) -> String {
        match (forget, self.forgets.is_empty()) {
            (Some(f), _) => format!("after ({})", methods_name(&f.methods)),
            (None, true) => "after (nothing forgotten)".into(),
            (None, false) => format!("after ({})", forgets_label(&self.forgets)),
        }
    }

    /// The top-10 unseen items `model` recommends for `history`, and their genre mix.
    async fn recommend_with(&self, model: &EditedModel, history: &[ItemId]) -> Result<Recommendations, JsError> {
        let scores =
            score_histories(&model.view(View::Served), &[history], None, &FfnHook::None, &self.device).await.map_err(js_error)?.remove(0);
        let top = top_unseen(&scores, history, 10);
        let genre_share = Genre::iter()
            .map(|g| {
                let n = top.iter().filter(|&&i| self.dataset.has_genre(i, g)).count();
                (g.name(), n as f64 / top.len().max(1) as f64)
            })
            .collect();
        let items = top.iter().map(|&i| self.item(i, Some(scores[i.index()]))).collect();
        Ok(Recommendations { items, genre_share })
    }
}

#[cfg(feature = "wgpu")]
thread_local! {
    /// The worker's WebGPU device. burn registers one device per adapter and refuses a second
    /// registration, so every session of the worker (the original, a retrained model) shares it.
    static WEBGPU: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "wgpu")]
async fn webgpu_device() -> Result<Device, String> {
    if let Some(device) = WEBGPU.with(|cell| cell.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options().init_async().await.map_err(|e| format!("{e:?}"))?;
    WEBGPU.with(|cell| *cell.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// The threaded build runs on the CPU only (the page loads the single-thread build for WebGPU).
#[cfg(not(feature = "wgpu"))]
async fn webgpu_device() -> Result<Device, String> {
    Err("this is the CPU-only threaded build; the page loads the WebGPU build for WebGPU".into())
}

/// Starts the CPU backend's thread pool on `threads` Web Workers (the threaded build only).
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// A value as a plain JS object (maps, such as the flattened method part of a report, become
/// objects rather than `Map`s).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The page's forgetting settings: the library's, with the method that forgets (`rows`) in
/// place of the paper's as the default.
fn page_config() -> ForgetConfig {
    ForgetConfig::with_methods(vec![Method::Rows])
}

/// The most sample users the page evaluates on, and its default.
const EVAL_USERS: (usize, usize) = (600, 200);

/// A person-deletion method as the page lists it: the value it sends back, its name, and what
/// it does.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionMethodView {
    pub value: DeletionMethod,
    pub name: &'static str,
    pub description: &'static str,
}

/// A genre as the page lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreView {
    pub name: &'static str,
    /// The folder suffix of its retrained checkpoint (`checkpoints/retrain-<slug>`).
    pub slug: String,
}

/// Everything the page builds its controls from, so that nothing about the method is typed
/// twice: the genres, the settings with their ranges and defaults, the paper's claims.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDefaults {
    /// The paper, cited (see [`crate::claims::PAPER`]).
    pub paper: String,
    pub genres: Vec<GenreView>,
    /// The backends a link may ask for (`?backend=`), the default first.
    pub backends: Vec<&'static str>,
    pub params: Vec<Param>,
    pub claims: Vec<Claim>,
    /// Sample users for "Check the claims".
    pub eval_users: EvalUsers,
    /// The weight-level methods of a person's deletion, the default first.
    pub deletion_methods: Vec<DeletionMethodView>,
    /// Every term and method in plain words.
    pub glossary: Vec<crate::glossary::Term>,
    /// The guided tour's steps.
    pub tour: Vec<crate::tour::TourStep>,
}

/// How many sample users "Check the claims" may measure, and how many by default.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalUsers {
    pub most: usize,
    pub default: usize,
}

/// A GPU session's [`Session::probe`] beside a CPU session's: `{maxDifference, ok}`.
#[wasm_bindgen]
pub fn parity(gpu: Vec<f32>, cpu: Vec<f32>) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::backend::Parity::of(&gpu, &cpu))?)
}

/// The page's defaults (see [`PageDefaults`]).
#[wasm_bindgen]
pub fn defaults() -> Result<JsValue, JsError> {
    let page = PageDefaults {
        paper: crate::claims::PAPER.to_string(),
        genres: Genre::iter().map(|g| GenreView { name: g.name(), slug: g.slug() }).collect(),
        backends: PageBackend::iter().map(Into::into).collect(),
        params: params(&page_config()),
        claims: CLAIMS.to_vec(),
        eval_users: EvalUsers { most: EVAL_USERS.0, default: EVAL_USERS.1 },
        deletion_methods: [DeletionMethod::NegGradPlus, DeletionMethod::Finetune]
            .into_iter()
            .map(|m| DeletionMethodView { value: m, name: m.name(), description: m.description() })
            .collect(),
        glossary: crate::glossary::glossary(),
        tour: crate::tour::TOUR.to_vec(),
    };
    Ok(to_js(&page)?)
}

/// Parses named settings (`[[key, value], ...]`, from the URL or the controls) into a forget
/// configuration: `{config, errors}`, every refusal naming the setting and its allowed range.
#[wasm_bindgen(js_name = parseSettings)]
pub fn parse_settings(values: JsValue) -> Result<JsValue, JsError> {
    let values: Vec<(String, String)> = serde_wasm_bindgen::from_value(values)?;
    let parsed = parse_params(&page_config(), values.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(to_js(&parsed)?)
}

/// The page's data sample prepared from the visitor's own MovieLens-1M files (`[{name, bytes}]`:
/// GroupLens' `ml-1m.zip`, its `.dat` files, or RecBole's atomic files), exactly as `recforget
/// data` and `recforget web-data` prepare it, checked against the checkpoint's `meta.json`.
/// Returns the sample's JSON, which the worker keeps in the browser.
#[wasm_bindgen(js_name = prepareData)]
pub fn prepare_data(files: js_sys::Array, meta_json: &[u8]) -> Result<Vec<u8>, JsError> {
    use crate::data::upload::{UploadedFile, prepare_ml1m};
    let meta: CheckpointMeta = serde_json::from_slice(meta_json).map_err(|e| js_error(format!("meta.json is damaged: {e}")))?;
    let files = files
        .iter()
        .map(|f| {
            let name = js_sys::Reflect::get(&f, &"name".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
            let bytes = js_sys::Reflect::get(&f, &"bytes".into()).map(|v| js_sys::Uint8Array::new(&v).to_vec()).unwrap_or_default();
            UploadedFile { name, bytes }
        })
        .collect();
    let dataset = prepare_ml1m(files, meta.vocabulary_fingerprint).map_err(js_error)?;
    let (users, seed) = crate::data::WEB_SAMPLE;
    dataset.web_sample(users, seed).to_json().map_err(js_error)
}

/// Errors unless a picked file of `size` bytes may be read: the page asks before it reads a file
/// into memory, so that a huge file is refused without filling the tab.
#[wasm_bindgen(js_name = checkUpload)]
pub fn check_upload(name: &str, size: f64) -> Result<(), JsError> {
    crate::data::upload::check_size(name, size as u64).map_err(js_error)
}

/// A checkpoint's training record, as the page names a retrained reference.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRecord {
    pub dataset: String,
    /// The saved (best) epoch, and the last epoch its training reached.
    pub epochs: usize,
    pub trained_through: usize,
    /// Wall-clock seconds, summed over its runs.
    pub train_seconds: f64,
    /// As if every epoch had run on the native CPU backend (the time a forget is compared with).
    pub cpu_train_seconds: Option<f64>,
    /// Where and how each stretch ran.
    pub summary: String,
}

/// The training record of a checkpoint's `meta.json`.
#[wasm_bindgen(js_name = trainingRecord)]
pub fn training_record(meta_json: &[u8]) -> Result<JsValue, JsError> {
    let meta: CheckpointMeta = serde_json::from_slice(meta_json).map_err(|e| js_error(format!("meta.json is damaged: {e}")))?;
    let record = TrainingRecord {
        dataset: meta.dataset.clone(),
        epochs: meta.epochs,
        trained_through: meta.trained_through(),
        train_seconds: meta.train_seconds,
        cpu_train_seconds: meta.cpu_train_seconds(),
        summary: meta.training_summary(),
    };
    Ok(to_js(&record)?)
}

#[wasm_bindgen]
impl Session {
    /// Builds a session from the checkpoint's `config.json`, `meta.json` and `model.bpk` and the
    /// page's dataset JSON (which must be the vocabulary the checkpoint was trained on). Falls back from WebGPU to the CPU when no adapter is available.
    pub async fn create(
        request: JsValue,
        config_json: Vec<u8>,
        meta_json: Vec<u8>,
        weights: Vec<u8>,
        dataset_json: Vec<u8>,
    ) -> Result<Session, JsError> {
        console_error_panic_hook::set_once();
        let request: CreateRequest = serde_wasm_bindgen::from_value(request)?;
        let device = match request.backend {
            PageBackend::Cpu => Device::flex(),
            PageBackend::Webgpu | PageBackend::Auto => {
                webgpu_device().await.map_err(|e| JsError::new(&format!("WebGPU unavailable: {e}")))?
            }
        };
        let dataset = Dataset::from_json(&dataset_json, Path::new("dataset.json")).map_err(js_error)?;
        let meta: CheckpointMeta = serde_json::from_slice(&meta_json).map_err(|e| js_error(format!("meta.json is damaged: {e}")))?;
        meta.check_weights(&weights, Path::new("checkpoint")).map_err(js_error)?;
        let (model, config) = model_from_bytes::<Bert4Rec>(&config_json, weights, &device, Path::new("checkpoint")).map_err(js_error)?;
        if meta.vocabulary_fingerprint != dataset.fingerprint() {
            return Err(js_error(crate::Error::VocabularyMismatch {
                checkpoint: meta.vocabulary_fingerprint,
                dataset: dataset.fingerprint(),
            }));
        }
        if config.num_items != dataset.num_items() {
            return Err(JsError::new(&format!(
                "the checkpoint knows {} items but the data has {}: the files do not belong together",
                config.num_items,
                dataset.num_items()
            )));
        }
        let schedule_end = meta.schedule().last().map_or(meta.epochs, |s| s.last_epoch);
        let deletion_set = DeletionSet::standard(&dataset);
        Ok(Session {
            device,
            edited: EditedModel::new(model.clone()),
            original: EditedModel::new(model),
            schedule_end,
            dataset,
            deletion_set,
            deletion_reference: None,
            others_memo: personal_memo(),
            genre_references: Vec::new(),
            forgets: Vec::new(),
        })
    }

    /// The catalog as JSON: `[{id, title, genres}]` (a string: bulk data crosses the boundary
    /// far faster as JSON than as JS objects built one by one).
    pub fn catalog(&self) -> Result<String, JsError> {
        let items: Vec<ItemView> = (0..self.dataset.num_items() as u32).map(|i| self.item(ItemId(i), None)).collect();
        Ok(serde_json::to_string(&items)?)
    }

    /// The sample users' keys and test histories as JSON: `[{key, history: [id]}]`.
    pub fn users(&self) -> Result<String, JsError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct UserView<'a> {
            key: &'a str,
            history: Vec<u32>,
            /// What the deletion set D deletes of this user (`all` or a genre's name; an exact
            /// retrained reference exists for that request), if anything.
            in_deletion_set: Option<&'static str>,
        }
        let users: Vec<UserView> = self
            .dataset
            .eval_cases(Split::Test)
            .into_iter()
            .map(|c| {
                let user = &self.dataset.users[c.user];
                UserView {
                    key: &user.key,
                    history: c.history.iter().map(|i| i.0).collect(),
                    in_deletion_set: self.deletion_set.scopes_of(user).next().map(Scope::name),
                }
            })
            .collect();
        Ok(serde_json::to_string(&users)?)
    }

    fn item(&self, id: ItemId, score: Option<f32>) -> ItemView {
        let item = &self.dataset.items[id.index()];
        ItemView { id: id.0, title: item.title.clone(), genres: item.genres.iter().map(Genre::name).collect(), score }
    }

    /// The edited model (after Forget) or the original, as served.
    fn model(&self, edited: bool) -> &EditedModel {
        if edited { &self.edited } else { &self.original }
    }

    /// The top-10 unseen items for a history.
    pub async fn recommend(&self, request: JsValue) -> Result<JsValue, JsError> {
        let request: RecommendRequest = serde_wasm_bindgen::from_value(request)?;
        let model = self.model(request.edited);
        // A forgotten genre's interactions count as deleted: the edited model never sees them.
        let history: Vec<ItemId> = model.history(&self.dataset, &self.items(&request.history)?);
        if history.is_empty() {
            return Err(JsError::new("The history is empty once the forgotten genres' items are deleted: add a title of another genre."));
        }
        Ok(to_js(&self.recommend_with(model, &history).await?)?)
    }

    /// The history as the edited model keeps it: the forgotten genres' items deleted (the page
    /// strikes the others through, and gives this to deletion only and the retrained model).
    #[wasm_bindgen(js_name = keptHistory)]
    pub fn kept_history(&self, history: Vec<u32>) -> Result<Vec<u32>, JsError> {
        Ok(self.edited.history(&self.dataset, &self.items(&history)?).into_iter().map(|i| i.0).collect())
    }

    /// Forgets a genre on top of the current model (so several genres compose, whatever the
    /// methods); `progress` is called with `{stage, ...}` objects. Returns one report per method.
    pub async fn forget(&mut self, request: JsValue, progress: js_sys::Function) -> Result<JsValue, JsError> {
        let request: ForgetRequest = serde_wasm_bindgen::from_value(request)?;
        let genre: Genre = request.genre.parse().map_err(js_error)?;
        let context = RunContext::new(&self.device);
        let started = crate::clock::now_seconds();
        let (reports, edited): (Vec<ForgetReport>, EditedModel) =
            forget(&self.edited, &self.original.model, &self.dataset, genre, &request.config, &context, |stage| {
                if let Ok(value) = to_js(&stage) {
                    let _ = progress.call1(&JsValue::NULL, &value);
                }
            })
            .await
            .map_err(js_error)?;
        self.edited = edited;
        let methods = reports.iter().map(ForgetReport::method).collect();
        let seconds = crate::clock::now_seconds() - started;
        self.forgets.push(ForgetRecord { genre, methods, seconds, changed_settings: request.config.changed_settings() });
        let views: Vec<ForgetView<'_>> = reports.iter().map(|report| ForgetView { report, summary: report.summary() }).collect();
        Ok(to_js(&views)?)
    }

    /// Takes a model retrained without one genre (its checkpoint's three files): the claims are
    /// then judged beside it, and its training time gives the speedup.
    #[wasm_bindgen(js_name = setGenreReference)]
    pub fn set_genre_reference(&mut self, config_json: Vec<u8>, meta_json: Vec<u8>, weights: Vec<u8>) -> Result<(), JsError> {
        let meta: CheckpointMeta = serde_json::from_slice(&meta_json).map_err(|e| js_error(format!("meta.json is damaged: {e}")))?;
        let [genre] = meta.deleted_genres()[..] else {
            return Err(JsError::new("this checkpoint was not retrained without exactly one genre"));
        };
        meta.check_vocabulary(&self.dataset).map_err(js_error)?;
        meta.check_weights(&weights, Path::new("retrained")).map_err(js_error)?;
        let (model, _) = model_from_bytes::<Bert4Rec>(&config_json, weights, &self.device, Path::new("retrained")).map_err(js_error)?;
        self.genre_references.retain(|r| r.genre != genre);
        // It never saw the genre: it is given the histories without it, like any model that forgot it.
        let model = EditedModel::new(model).deletion_only(&self.dataset, &[genre]);
        self.genre_references.push(GenreReference { genre, model, cpu_train_seconds: meta.cpu_train_seconds() });
        Ok(())
    }

    /// Takes the model retrained without the deletion set D (its checkpoint's three files), the
    /// exact reference of D's requests. Refuses a model retrained without anything else.
    #[wasm_bindgen(js_name = setDeletionReference)]
    pub fn set_deletion_reference(&mut self, config_json: Vec<u8>, meta_json: Vec<u8>, weights: Vec<u8>) -> Result<(), JsError> {
        let meta: CheckpointMeta = serde_json::from_slice(&meta_json).map_err(|e| js_error(format!("meta.json is damaged: {e}")))?;
        if meta.deletions != self.deletion_set.requests {
            return Err(JsError::new("this retrained model was trained without other interactions than the deletion set D's"));
        }
        meta.check_vocabulary(&self.dataset).map_err(js_error)?;
        meta.check_weights(&weights, Path::new("retrain-deletion-set")).map_err(js_error)?;
        let (model, _) =
            model_from_bytes::<Bert4Rec>(&config_json, weights, &self.device, Path::new("retrain-deletion-set")).map_err(js_error)?;
        let mut label = format!(
            "retrained without D's {} users' deletions",
            self.deletion_set
                .requests
                .iter()
                .map(|r| match &r.users {
                    crate::data::Users::Keys(keys) => keys.len(),
                    crate::data::Users::Everyone => self.dataset.users.len(),
                })
                .sum::<usize>()
        );
        // The saved model is the best of the epochs its training reached.
        let trained = meta.trained_through();
        if trained < self.schedule_end {
            label += &format!(" (still training: epoch {trained} of {})", self.schedule_end);
        }
        self.deletion_reference = Some((EditedModel::new(model), label));
        self.others_memo = personal_memo();
        Ok(())
    }

    /// Grants a person's deletion request on the original model and audits it: could an auditor
    /// still tell their deleted interactions were in training — originally, after the method,
    /// and for the model retrained without them (users of D)?
    #[wasm_bindgen(js_name = forgetMe)]
    pub async fn forget_me(&self, request: JsValue) -> Result<JsValue, JsError> {
        let started = crate::clock::now_seconds();
        let request: ForgetMeRequest = serde_wasm_bindgen::from_value(request)?;
        let Some(user) = request.user else {
            let view = ForgetMeView { audit: None, before: None, after: None, note: Some(NEVER_TRAINED.into()), seconds: 0.0 };
            return Ok(to_js(&view)?);
        };
        let personal = PersonalRequest { user, scope: request.scope.parse().map_err(js_error)?, method: request.method };
        let reference = self.deletion_reference.as_ref().map(|(model, label)| Reference { model, set: &self.deletion_set, label });
        let (unlearned, audit) = forget_me(
            &self.original.model,
            &self.dataset,
            &personal,
            reference.as_ref(),
            &PERSONAL_UNLEARNING,
            &PERSONAL_AUDIT,
            Some(&self.others_memo),
            &self.device,
            1,
        )
        .await
        .map_err(js_error)?;
        let case = self.dataset.eval_cases(Split::Test).into_iter().find(|c| self.dataset.users[c.user].key == personal.user);
        let recorded: Vec<ItemId> = case.map(|c| c.history).unwrap_or_default();
        let kept: Vec<ItemId> = recorded.iter().copied().filter(|&i| !personal.scope.covers(&self.dataset, i)).collect();
        let before = self.recommend_with(&self.original, &recorded).await?;
        let after = if kept.is_empty() { None } else { Some(self.recommend_with(&EditedModel::new(unlearned), &kept).await?) };
        let note = after
            .is_none()
            .then(|| "Nothing of your history is left for the page to recommend from, so there are no recommendations after. The audit above asks something else: whether the weights still remember what you watched, each deleted film asked with the history that came before it.".to_string());
        let view = ForgetMeView { audit: Some(audit), before: Some(before), after, note, seconds: crate::clock::now_seconds() - started };
        Ok(to_js(&view)?)
    }

    /// Restores the original model exactly.
    pub fn reset(&mut self) {
        self.edited = self.original.clone();
        self.forgets.clear();
    }

    /// HR/NDCG before and after, and the removal rate, on the first `users` sample users.
    pub async fn evaluate(&self, request: JsValue) -> Result<JsValue, JsError> {
        let request: EvaluateRequest = serde_wasm_bindgen::from_value(request)?;
        let genre: Genre = request.genre.parse().map_err(js_error)?;
        let mut cases = self.dataset.eval_cases(Split::Test);
        let most = EVAL_USERS.0.min(cases.len());
        if !(1..=most).contains(&request.users) {
            return Err(JsError::new(&format!("users={}: out of range; a whole number from 1 to {most} is allowed", request.users)));
        }
        cases.truncate(request.users);
        let sampler = NegativeSampler::new(&self.dataset, request.seed);
        let ctx = EvalContext { dataset: &self.dataset, cases: &cases, sampler: &sampler, device: &self.device };
        // The same measurement as the CLI's and the report's, sized for the page.
        let settings = MeasureSettings {
            membership_users: request.users,
            deleted_interactions: request.users,
            kl_users: 0,
            draws: 200,
            ..MeasureSettings::default()
        };
        let retrained = self.genre_references.iter().find(|r| r.genre == genre);
        let (forget, not_judged) = self.forget_under_test(genre);
        // The measurement adds deletion only: the original given the histories without the
        // forgotten genres, no edit.
        let models = [("original", &self.original), ("after", &self.edited)];
        let reference = retrained.map(|r| &r.model);
        let measurement = measure(&ctx, genre, &models, reference, None, &settings, 1).await.map_err(js_error)?;
        // The claims on the paper's condition: the histories as recorded.
        let claim_inputs = match &forget {
            Some(forget) => {
                let kept = MeasureSettings { histories: Histories::Kept, deletion_only: false, ..settings };
                Some(ClaimInputs {
                    paper: measure(&ctx, genre, &models, reference, None, &kept, 1).await.map_err(js_error)?,
                    deleted: measurement.clone(),
                    methods: forget.methods.clone(),
                    changed_settings: forget.changed_settings.clone(),
                    speedup: retrained.and_then(|r| r.cpu_train_seconds).map(|t| t / forget.seconds.max(1e-9)),
                })
            }
            None => None,
        };
        let judgements = claim_inputs.as_ref().map(judge).unwrap_or_default();
        let after = self.after_label(forget.as_ref());
        let table = measured_table(&measurement, cases.len(), &after);
        let report = EvaluateReport { users: cases.len(), measurement, table, claim_inputs, judgements, forget, not_judged };
        Ok(to_js(&report)?)
    }

    /// Scores of a fixed history on this session's device, for the page's parity check against
    /// a CPU session.
    pub async fn probe(&self) -> Result<Vec<f32>, JsError> {
        let n = self.dataset.num_items().min(20) as u32;
        let history: Vec<ItemId> = (0..n).map(ItemId).collect();
        let mut scores = score_histories(&self.original.model, &[&history], None, &FfnHook::None, &self.device).await.map_err(js_error)?;
        Ok(scores.remove(0))
    }
}
