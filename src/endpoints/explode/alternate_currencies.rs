//! Awards in alternate currencies: the current page reports them apart from the points, one
//! entry per currency (`alternateCurrencyValueEarned`, `alternateCurrencyValueEarnedBreakup`).

use super::{
    render::{Lists, Rendering},
    wire::{AlternateCurrencyBreakup, AlternateCurrencyPoints},
};
use crate::store::ledger::AwardRow;

/// One currency's awards, in award order.
pub struct CurrencyAwards<'a> {
    identifier: String,
    name: String,
    awards: Vec<&'a AwardRow>,
}

/// The awards in points, and those in each alternate currency (in the order each first appears).
pub fn split<'a>(awards: impl Iterator<Item = &'a AwardRow>) -> (Vec<&'a AwardRow>, Vec<CurrencyAwards<'a>>) {
    let mut points = Vec::new();
    let mut currencies: Vec<CurrencyAwards<'a>> = Vec::new();
    for award in awards {
        let (Some(identifier), Some(name)) = (&award.alternate_currency_identifier, &award.alternate_currency_name) else {
            points.push(award);
            continue;
        };
        match currencies.iter_mut().find(|currency| &currency.identifier == identifier) {
            Some(currency) => currency.awards.push(award),
            None => currencies.push(CurrencyAwards { identifier: identifier.clone(), name: name.clone(), awards: vec![award] }),
        }
    }
    (points, currencies)
}

impl Rendering<'_> {
    /// `alternateCurrencyValueEarned`: left out when no currency's awards are reported.
    pub fn currency_points(&self, currencies: &[CurrencyAwards<'_>]) -> Option<Vec<AlternateCurrencyPoints>> {
        (!currencies.is_empty()).then(|| {
            currencies
                .iter()
                .map(|currency| AlternateCurrencyPoints {
                    points: self.points_earned(currency.awards.iter().copied(), Lists::All),
                    alternate_currency_name: currency.name.clone(),
                    alternate_currency_identifier: currency.identifier.clone(),
                })
                .collect()
        })
    }

    /// `alternateCurrencyValueEarnedBreakup`, as above.
    pub fn currency_breakup(&self, currencies: &[CurrencyAwards<'_>]) -> Option<Vec<AlternateCurrencyBreakup>> {
        (!currencies.is_empty()).then(|| {
            currencies
                .iter()
                .map(|currency| AlternateCurrencyBreakup {
                    breakup: self.breakup(currency.awards.iter().copied()),
                    alternate_currency_name: currency.name.clone(),
                    alternate_currency_identifier: currency.identifier.clone(),
                })
                .collect()
        })
    }
}
