//! The closed sets of values the universe is made of, spelled as Capillary spells them.

use super::text_enum;

text_enum! {
    /// A side of the points ledger.
    pub enum LedgerEntryType { Credit => "CREDIT", Debit => "DEBIT" }
}

text_enum! {
    /// How an event's points were awarded.
    pub enum AwardType { Regular => "regular", Promo => "promo", Promised => "promised" }
}

text_enum! {
    /// The giving or receiving side of a points transfer.
    pub enum TransferSide { From => "FROM", To => "TO" }
}

text_enum! {
    /// Where a customer stands in a streak.
    pub enum StreakStatus { Achieved => "ACHIEVED", InProgress => "INPROGRESS" }
}

text_enum! {
    /// What a target group tracks besides its targets.
    pub enum TrackingType {
        Default => "DEFAULT",
        Unified => "UNIFIED",
        Streaks => "STREAKS",
        NonContinuousStreaks => "NON_CONTINUOUS_STREAKS",
        Capping => "CAPPING",
    }
}

impl TrackingType {
    pub fn tracks_streaks(self) -> bool {
        matches!(self, TrackingType::Streaks | TrackingType::NonContinuousStreaks)
    }
}

text_enum! {
    /// How a target group lays out its periods.
    pub enum TargetEvaluationType {
        FixedCalendarWindow => "FIXED_CALENDAR_WINDOW",
        CyclicWindow => "CYCLIC_WINDOW",
        PeriodAgnosticWindow => "PERIOD_AGNOSTIC_WINDOW",
    }
}

text_enum! {
    /// What a target completion completed.
    pub enum CompletionSource { UserTarget => "USERTARGET", Milestone => "MILESTONE", Streaks => "STREAKS", Unified => "UNIFIED" }
}

text_enum! {
    /// The kinds of event whose shape the documents show. Event names are free text in the
    /// universe; a name that is none of these is an event of another kind, reported generically.
    pub enum EventKind {
        TransactionAdd => "TransactionAdd",
        NewBill => "NewBill",
        GroupTransactionAdd => "GroupTransactionAdd",
        ReturnBill => "ReturnBill",
        GenericEvent => "GenericEvent",
        CustomerRegistration => "CustomerRegistration",
        CustomerUpdate => "CustomerUpdate",
        AllocateGoodwillPoints => "AllocateGoodwillPoints",
        TargetCompleted => "TargetCompleted",
        PointsTransfer => "PointsTransfer",
        PointsRedemption => "PointsRedemption",
        PointsRedemptionReversal => "PointsRedemptionReversal",
        CustomerPromotionImport => "CustomerPromotionImport",
        LineItemsPointsPromotionImport => "LineItemsPointsPromotionImport",
        BillPointsPromotionImport => "BillPointsPromotionImport",
        ManualPointsAdjustment => "ManualPointsAdjustment",
        VoucherRedemption => "VoucherRedemption",
    }
}

impl EventKind {
    /// The kind an event name names; names are matched exactly, as the universe stores them.
    pub fn of(event_name: &str) -> Option<EventKind> {
        <EventKind as super::TextEnum>::stored(event_name)
    }

    /// Bills: transactions and their returns.
    pub fn has_bill(self) -> bool {
        matches!(self, EventKind::TransactionAdd | EventKind::NewBill | EventKind::GroupTransactionAdd | EventKind::ReturnBill)
    }

    /// Imports: a display name instead of a time, and no till.
    pub fn is_import(self) -> bool {
        matches!(
            self,
            EventKind::CustomerPromotionImport | EventKind::LineItemsPointsPromotionImport | EventKind::BillPointsPromotionImport
        )
    }
}
