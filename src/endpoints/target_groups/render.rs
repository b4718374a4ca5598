//! How the rows of a customer's targets become the answer, as of the tracking date.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;

use super::{order::java_hash_map_order, wire::*};
use crate::{
    model::{Release, StreakStatus, time},
    store::{
        customers::{CommChannel, CustomerProfile},
        targets::{MilestoneRow, TargetGroupRow, TargetRow, UserMilestoneRow, UserStreakRow},
    },
};

/// The tracking date the answer is given for (the request's `trackingDate`, else the org's now),
/// and how the org prints times.
pub struct TrackingDate {
    pub instant: DateTime<Utc>,
    pub time_zone: Tz,
    pub org_id: i64,
    /// What the org's release prints.
    pub release: Release,
}

impl TrackingDate {
    /// `2024-06-20T12:23:15.000+0530`: an instant in the org's time zone.
    fn timestamp(&self, instant: DateTime<Utc>) -> String {
        time::with_offset(instant, self.time_zone)
    }

    /// `2024-06-20T00:00:00.000Z`: a period boundary as Capillary prints it, the org's wall-clock
    /// time followed by a literal `Z`.
    fn wall_clock(&self, instant: DateTime<Utc>) -> String {
        time::wall_clock_z(instant, self.time_zone)
    }

    /// The `*ISO` twin of either form above: the same wall-clock digits, with the org's offset.
    fn iso(&self, instant: DateTime<Utc>) -> String {
        time::iso_twin(instant, self.time_zone)
    }

    /// A rule's program or currency: before 2026 printed only when the rule has one, since always.
    fn rule_field<T>(&self, value: Option<T>) -> Option<Option<T>> {
        if self.release.reports_2026_target_fields { Some(value) } else { value.map(Some) }
    }

    /// A field only the 2026 release prints.
    fn since_2026<T>(&self, value: T) -> Option<T> {
        self.release.reports_2026_target_fields.then_some(value)
    }

    /// Whether something that happened at `at` had happened by the instant judged at.
    fn happened(&self, at: DateTime<Utc>) -> bool {
        at <= self.instant
    }

    /// Period boundaries are whole seconds (an end is `23:59:59`), so the instant is compared at
    /// whole-second precision: 23:59:59.999 is still inside the period.
    fn is_current(&self, target: &TargetRow) -> bool {
        let instant = self.instant.trunc_subsecs(0);
        target.start_time <= instant && instant <= target.end_time
    }

    pub fn customer(&self, profile: CustomerProfile, channels: Vec<CommChannel>) -> Customer {
        let comm_channels = channels
            .into_iter()
            .map(|channel| CommChannelOut {
                kind: channel.identifier_type,
                account_id: channel.account_id,
                value: channel.value,
                primary: channel.is_primary,
                verified: channel.verified,
                subscribed: channel.subscribed,
                attributes: channel.attributes,
            })
            .collect();
        Customer {
            id: profile.customer_id,
            profiles: vec![Profile {
                first_name: profile.first_name.unwrap_or_default(),
                last_name: profile.last_name.unwrap_or_default(),
                comm_channels,
                source: profile.source,
                account_id: profile.account_id,
                user_id: profile.customer_id,
                org_source_id: profile.org_source_id,
            }],
            loyalty_info: LoyaltyInfo {
                attribution: Attribution {
                    created_on: self.timestamp(profile.created_on),
                    last_updated_on: profile.last_updated_on.map(|at| self.timestamp(at)),
                    last_updated_by: Actor::from_json(profile.last_updated_by),
                    created_by: Actor::from_json(profile.created_by),
                },
                loyalty_type: profile.loyalty_type,
                lifetime_purchases: profile.lifetime_purchases.as_double(),
            },
            custom_fields: profile.custom_fields,
        }
    }

    pub fn target_groups(
        &self,
        groups: Vec<TargetGroupRow>,
        targets: Vec<TargetRow>,
        milestones: &[MilestoneRow],
        reached: &[UserMilestoneRow],
        streaks: Vec<UserStreakRow>,
    ) -> Vec<TargetGroup> {
        let mut milestones_of_rule: HashMap<i64, Vec<&MilestoneRow>> = HashMap::new();
        for milestone in milestones {
            milestones_of_rule.entry(milestone.target_rule_id).or_default().push(milestone);
        }
        let reached: HashMap<(i64, i64), DateTime<Utc>> =
            reached.iter().map(|row| ((row.user_target_id, row.milestone_id), row.achieved_on)).collect();
        let mut targets_of_group: HashMap<i64, Vec<Target>> = HashMap::new();
        for target in targets {
            let milestones = milestones_of_rule.get(&target.target_rule_id).map(|rule_milestones| {
                rule_milestones
                    .iter()
                    .map(|milestone| Milestone {
                        id: milestone.milestone_id,
                        trigger_name: milestone.trigger_name.clone(),
                        trigger_value: milestone.trigger_value.as_double(),
                        is_achieved: target
                            .user_target_id
                            .and_then(|user_target_id| reached.get(&(user_target_id, milestone.milestone_id)))
                            .is_some_and(|at| self.happened(*at)),
                    })
                    .collect()
            });
            targets_of_group.entry(target.target_group_id).or_default().push(self.target(target, milestones));
        }
        let mut streaks_of_group: HashMap<i64, Vec<Streak>> = HashMap::new();
        for streak in streaks {
            streaks_of_group.entry(streak.target_group_id).or_default().push(self.streak(streak));
        }

        // Groups left without a target to show (filtered out, or only inactive rules) are left out.
        let shown: Vec<(TargetGroupRow, Vec<Target>)> = groups
            .into_iter()
            .filter_map(|group| targets_of_group.remove(&group.target_group_id).map(|targets| (group, targets)))
            .collect();
        // Capillary puts the groups the customer holds targets in first, then audience groups.
        let insertion_order = |(group, _): &(TargetGroupRow, Vec<Target>)| {
            (group.first_user_target_id.is_none(), group.first_user_target_id, group.target_group_id)
        };
        java_hash_map_order(shown, |(group, _)| group.target_group_id, insertion_order)
            .into_iter()
            .map(|(group, targets)| TargetGroup {
                id: group.target_group_id,
                attribution: Attribution {
                    created_on: self.timestamp(group.created_on),
                    last_updated_on: Some(self.timestamp(group.last_updated_on)),
                    last_updated_by: Actor::from_json(group.last_updated_by),
                    created_by: Actor::from_json(group.created_by),
                },
                name: group.name,
                org_id: self.since_2026(self.org_id),
                preferred_till_id: group.preferred_till_id,
                targets,
                streaks: group.tracking_type.tracks_streaks().then(|| streaks_of_group.remove(&group.target_group_id).unwrap_or_default()),
                target_evaluation_type: group.target_evaluation_type,
                tracking_type: group.tracking_type,
            })
            .collect()
    }

    fn target(&self, target: TargetRow, milestones: Option<Vec<Milestone>>) -> Target {
        let current_period = self.is_current(&target);
        let achieved_at = target.achieved_on.filter(|at| self.happened(*at));
        let enrolled_on = target.enrolled_on.unwrap_or(self.instant);
        let reports_achievement_times = self.release.reports_achievement_times;
        Target {
            target_id: target.user_target_id,
            period_id: target.period_id,
            program_id: self.rule_field(target.program_id),
            alternate_currency_identifier: self.rule_field(target.alternate_currency_identifier),
            alternate_currency_name: self.rule_field(target.alternate_currency_name),
            period_ref_code: target.ref_code,
            period_start_date: target.start_date.to_string(),
            period_end_date: target.end_date.to_string(),
            target_value: target.target_value.as_double(),
            target_achieved_value: target.achieved_value.as_double(),
            target_name: target.target_name,
            target_type: target.target_type,
            target_entity: target.target_entity,
            target_rule_id: target.target_rule_id,
            // A target the customer is not enrolled in is made up at the moment of asking, as
            // Capillary does: it reports that moment as its enrolment.
            enrolled_on: self.timestamp(enrolled_on),
            enrolled_on_iso: self.iso(enrolled_on),
            event_name: target.event_name,
            period_start_date_with_time_stamp: self.wall_clock(target.start_time),
            period_start_date_with_time_stamp_iso: self.iso(target.start_time),
            period_end_date_with_time_stamp: self.wall_clock(target.end_time),
            period_end_date_with_time_stamp_iso: self.iso(target.end_time),
            last_updated_on: self.since_2026(self.timestamp(target.last_updated_on.unwrap_or(enrolled_on))),
            target_achieved_date_time: reports_achievement_times.then(|| achieved_at.map(|at| self.timestamp(at))),
            target_achieved_date_time_iso: reports_achievement_times.then(|| achieved_at.map(|at| self.iso(at))),
            target_achieved_event_log_id: self.since_2026(achieved_at.and(target.target_achieved_event_log_id)),
            current_period,
            un_enrolled: self.since_2026(target.un_enrolled),
            milestones,
        }
    }

    /// The streak as it stood at the instant: an achievement after it is not one yet, and targets
    /// achieved after it do not count yet.
    fn streak(&self, streak: UserStreakRow) -> Streak {
        // A streak recorded as achieved without a time is achieved whenever it is asked about.
        let achieved = streak.status == StreakStatus::Achieved && streak.achieved_on.is_none_or(|at| self.happened(at));
        let count_then = (i64::from(streak.current_count) - streak.achieved_after).max(0);
        let (status, current_count) = if achieved {
            (streak.status, streak.current_count)
        } else if streak.status == StreakStatus::Achieved {
            (StreakStatus::InProgress, count_then.min(i64::from(streak.total_target_count) - 1) as i32)
        } else {
            (streak.status, count_then as i32)
        };
        Streak {
            user_streak_id: streak.user_streak_id,
            streak_id: streak.streak_id,
            streak_name: streak.streak_name,
            status,
            current_count,
            total_target_count_of_sequence: streak.total_target_count,
            streak_achieved_user_target_id: if achieved { streak.achieved_user_target_id } else { None },
            streak_achieved_date_time: if achieved && self.release.reports_achievement_times {
                streak.achieved_on.map(|at| self.timestamp(at))
            } else {
                None
            },
        }
    }
}
