//! The forgetting settings as command-line flags, built from the library's one table
//! (`recforget::unlearning::params`): each setting of a method is `--<key> VALUE`, with the
//! table's help, range and default, and the values are parsed and checked by the table's own
//! parser, as the page's URL is.

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use recforget::unlearning::{ForgetConfig, Param, params, parse_params};

/// The settings given on the command line, as `(key, value)` in the table's order.
#[derive(Clone, Debug, Default)]
pub(crate) struct SettingFlags {
    values: Vec<(String, String)>,
}

/// The table's settings that belong to a method (the method list itself is `--method`).
fn settings() -> Vec<Param> {
    params(&ForgetConfig::default()).into_iter().filter(|p| p.method.is_some()).collect()
}

impl SettingFlags {
    /// `base` with every given setting applied, or one error naming each refused setting.
    pub(crate) fn apply(&self, base: ForgetConfig) -> anyhow::Result<ForgetConfig> {
        parse_params(&base, self.values.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .into_result()
            .map_err(|errors| anyhow::anyhow!("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
    }
}

impl FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values =
            settings().into_iter().filter_map(|p| matches.get_one::<String>(p.key).map(|v| (p.key.to_string(), v.clone()))).collect();
        Ok(SettingFlags { values })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = SettingFlags::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for SettingFlags {
    fn augment_args(cmd: Command) -> Command {
        settings().into_iter().fold(cmd, |cmd, p| {
            let method = p.method.expect("settings() keeps a method's").name();
            let help = format!("{method}: {} ({}; default {})", p.help, p.kind.range(), p.default);
            cmd.arg(Arg::new(p.key).long(p.key).value_name("VALUE").help(help))
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        SettingFlags::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: SettingFlags,
    }

    fn parse(args: &[&str]) -> anyhow::Result<ForgetConfig> {
        use clap::Parser;
        let cli = Cli::try_parse_from(std::iter::once("forget").chain(args.iter().copied()))?;
        cli.settings.apply(ForgetConfig::default())
    }

    #[test]
    fn every_setting_of_the_table_is_a_flag_parsed_by_the_table() {
        let config = parse(&["--distill-steps", "7", "--edit", "suppress-at-mask", "--band-low", "2"]).unwrap();
        assert_eq!((config.distill.steps, config.neurons.screening.band.0), (7, 2));
        assert_eq!(config.neurons.edit, recforget::unlearning::Edit::SuppressAtMask);
        assert_eq!(parse(&[]).unwrap(), ForgetConfig::default());
        let refused = parse(&["--sequences", "99999", "--edit", "blur"]).unwrap_err().to_string();
        assert!(refused.contains("sequences=99999: out of range; a whole number from 1 to 5000 is allowed"), "{refused}");
        assert!(refused.contains("edit=blur: unknown value"), "{refused}");
    }
}
