//! A bill's `billDetails`: its header, the points it and each line item earned, and the return.

use super::{
    alternate_currencies,
    render::{Lists, Rendering},
    wire::{BillDetails, LineItem},
};
use crate::{
    model::Decimal,
    store::{events::BillRow, ledger::AwardRow},
};

impl Rendering<'_> {
    pub(super) fn bill(&self, bill: &BillRow, awards: &[AwardRow]) -> BillDetails {
        let id = bill.event_log_id;
        let (bill_level, currencies) = alternate_currencies::split(awards.iter().filter(|award| award.line_item_id.is_none()));
        let with_breakup = self.blocks.points_earned_breakup;
        let breakup_only = !self.blocks.bill_details;
        let line_items = if breakup_only { &[] } else { self.data.line_items.get(&id).map(Vec::as_slice).unwrap_or_default() };
        BillDetails {
            bill_type: bill.bill_type.clone(),
            bill_number: bill.bill_number.clone(),
            gross_amount: bill.gross_amount.map(Decimal::as_written),
            discount: bill.discount.map(Decimal::as_written),
            bill_amount: bill.bill_amount.map(Decimal::as_written),
            note: bill.note.clone(),
            source: bill.source.clone(),
            return_date: bill.return_date.map(|time| self.time(time)),
            return_date_iso: self.iso(bill.return_date),
            return_amount: bill.return_amount.map(Decimal::as_written),
            bill_date: bill.bill_date.map(|time| self.time(time)),
            bill_date_iso: self.iso(bill.bill_date),
            return_type: bill.return_type.clone(),
            return_bill_id: bill.return_bill_id,
            points_earned: (!breakup_only).then(|| self.points_earned(bill_level.iter().copied(), Lists::All)),
            points_earned_breakup: with_breakup.then(|| self.breakup(bill_level.iter().copied())),
            alternate_currency_value_earned: (!breakup_only).then(|| self.currency_points(&currencies)).flatten(),
            alternate_currency_value_earned_breakup: with_breakup.then(|| self.currency_breakup(&currencies)).flatten(),
            line_items: line_items
                .iter()
                .map(|item| {
                    // A line item reports its points; currencies are reported for the whole bill.
                    let of_item = awards
                        .iter()
                        .filter(|award| award.line_item_id == Some(item.line_item_id) && award.alternate_currency_identifier.is_none());
                    let earned = of_item.clone().next().is_some();
                    LineItem {
                        id: item.line_item_id,
                        item_code: item.item_code.clone(),
                        source: item.source.clone(),
                        gross_amount: item.gross_amount.map(Decimal::as_written),
                        discount: item.discount.map(Decimal::as_written),
                        amount: item.amount.map(Decimal::as_written),
                        rate: item.rate.map(Decimal::as_written),
                        qty: item.qty.map(Decimal::as_written),
                        serial_number: item.serial_number,
                        return_amount: item.return_amount.map(Decimal::as_written),
                        return_rate: item.return_rate.map(Decimal::as_written),
                        return_qty: item.return_qty.map(Decimal::as_written),
                        return_value: item.return_value.map(Decimal::as_written),
                        points_earned: earned.then(|| self.points_earned(of_item.clone(), Lists::All)),
                        points_earned_breakup: (earned && with_breakup).then(|| self.breakup(of_item)),
                    }
                })
                .collect(),
        }
    }
}
