//! `GET /v3/users/{userId}/targetGroups`: every documented sample as printed, each query
//! parameter's effect, `currentPeriod` at period boundaries, streak and milestone shapes, errors.

use axum::http::StatusCode;
use capillary_emulator::config::RuntimeConfig;
use chrono::DateTime;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

/// Samples of the documents, pasted as printed (only the leading `response:` of one is dropped).
const STREAK_DETAIL_SAMPLE: &str = r##"{
    "data": {
        "userId": 64035151,
        "customer": {
            "id": 64035151,
            "profiles": [
                {
                    "firstName": "Tom",
                    "lastName": "Sawyer",
                    "commChannels": [
                        {
                            "type": "email",
                            "accountId": null,
                            "value": "tom.sawyer@capillarytech.com",
                            "primary": false,
                            "verified": false,
                            "subscribed": null,
                            "attributes": null
                        },
                        {
                            "type": "mobile",
                            "accountId": null,
                            "value": "919988221100",
                            "primary": false,
                            "verified": false,
                            "subscribed": null,
                            "attributes": null
                        }
                    ],
                    "source": "instore",
                    "accountId": "",
                    "userId": 64035151,
                    "orgSourceId": -1
                }
            ],
            "loyaltyInfo": {
                "attribution": {
                    "createdOn": "2024-01-17T07:00:51.000+0000",
                    "lastUpdatedOn": "2024-04-19T07:39:11.000+0000",
                    "lastUpdatedBy": {
                        "id": 75122513,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    },
                    "createdBy": {
                        "id": 75109398,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    }
                },
                "loyaltyType": "loyalty",
                "lifetimePurchases": 23508.000
            },
            "customFields": {}
        },
        "targetGroups": [
            {
                "id": 851,
                "attribution": {
                    "createdOn": "2024-04-11T12:10:48.000+0000",
                    "lastUpdatedOn": "2024-04-11T12:10:48.000+0000",
                    "lastUpdatedBy": {
                        "id": 75122513,
                        "code": "till.marketsuper",
                        "description": "",
                        "name": "till.marketsuper",
                        "type": "TILL"
                    },
                    "createdBy": {
                        "id": 75122513,
                        "code": "till.marketsuper",
                        "description": "",
                        "name": "till.marketsuper",
                        "type": "TILL"
                    }
                },
                "name": "JP&A",
                "preferredTillId": 75077502,
                "targets": [
                    {
                        "targetId": 2160795,
                        "periodId": 1807,
                        "periodRefCode": "JP&A1",
                        "periodStartDate": "2024-04-11",
                        "periodEndDate": "2024-04-17",
                        "targetValue": 2.000,
                        "targetAchievedValue": 7.000,
                        "targetName": "JP&A",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 427,
                        "enrolledOn": "2024-04-11T12:25:09.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-11T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-17T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": 2179901,
                        "periodId": 1808,
                        "periodRefCode": "JP&A2",
                        "periodStartDate": "2024-04-18",
                        "periodEndDate": "2024-04-24",
                        "targetValue": 2.000,
                        "targetAchievedValue": 8.000,
                        "targetName": "JP&A",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 427,
                        "enrolledOn": "2024-04-18T10:59:36.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-18T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-24T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    }
                ],
                "streaks": [
                    {
                        "userStreakId": 1,
                        "streakId": 19,
                        "streakName": "JP&A11",
                        "status": "ACHIEVED",
                        "currentCount": 2,
                        "totalTargetCountOfSequence": 2,
                        "streakAchievedUserTargetId": 2179901
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "STREAKS"
            },
            {
                "id": 643,
                "attribution": {
                    "createdOn": "2023-12-04T10:26:41.000+0000",
                    "lastUpdatedOn": "2023-12-04T10:26:41.000+0000",
                    "lastUpdatedBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "naresh silla",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "naresh silla",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "sdcs",
                "preferredTillId": -1,
                "targets": [
                    {
                        "targetId": null,
                        "periodId": 1093,
                        "periodRefCode": "Cycle_1",
                        "periodStartDate": "2023-12-04",
                        "periodEndDate": "2024-01-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2023-12-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-01-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1094,
                        "periodRefCode": "Cycle_2",
                        "periodStartDate": "2024-01-04",
                        "periodEndDate": "2024-02-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-01-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-02-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1095,
                        "periodRefCode": "Cycle_3",
                        "periodStartDate": "2024-02-04",
                        "periodEndDate": "2024-03-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-02-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-03-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1096,
                        "periodRefCode": "Cycle_4",
                        "periodStartDate": "2024-03-04",
                        "periodEndDate": "2024-04-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-03-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1097,
                        "periodRefCode": "Cycle_5",
                        "periodStartDate": "2024-04-04",
                        "periodEndDate": "2024-05-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-05-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1098,
                        "periodRefCode": "Cycle_6",
                        "periodStartDate": "2024-05-04",
                        "periodEndDate": "2024-06-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-05-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-06-03T23:59:59.000Z",
                        "currentPeriod": true,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1099,
                        "periodRefCode": "Cycle_7",
                        "periodStartDate": "2024-06-04",
                        "periodEndDate": "2024-07-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-06-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-07-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1100,
                        "periodRefCode": "Cycle_8",
                        "periodStartDate": "2024-07-04",
                        "periodEndDate": "2024-08-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-07-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-08-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1101,
                        "periodRefCode": "Cycle_9",
                        "periodStartDate": "2024-08-04",
                        "periodEndDate": "2024-09-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-08-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-09-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1102,
                        "periodRefCode": "Cycle_10",
                        "periodStartDate": "2024-09-04",
                        "periodEndDate": "2024-10-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-09-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-10-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1103,
                        "periodRefCode": "Cycle_11",
                        "periodStartDate": "2024-10-04",
                        "periodEndDate": "2024-11-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-10-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-11-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": null,
                        "periodId": 1104,
                        "periodRefCode": "Cycle_12",
                        "periodStartDate": "2024-11-04",
                        "periodEndDate": "2024-12-03",
                        "targetValue": 1200.000,
                        "targetAchievedValue": 0,
                        "targetName": "sdcs",
                        "targetType": "REGULAR_POINTS",
                        "targetEntity": "POINTS",
                        "targetRuleId": 335,
                        "enrolledOn": "2024-05-07T10:26:56.573+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-11-04T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-12-03T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "CAPPING"
            },
            {
                "id": 854,
                "attribution": {
                    "createdOn": "2024-04-12T07:01:19.000+0000",
                    "lastUpdatedOn": "2024-04-12T07:01:19.000+0000",
                    "lastUpdatedBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "efef",
                "preferredTillId": 75050873,
                "targets": [
                    {
                        "targetId": 2162472,
                        "periodId": 1814,
                        "periodRefCode": "Cycle_1",
                        "periodStartDate": "2024-04-12",
                        "periodEndDate": "2024-05-11",
                        "targetValue": 11.000,
                        "targetAchievedValue": 2600.000,
                        "targetName": "efef",
                        "targetType": "GROSS_SALES",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 429,
                        "enrolledOn": "2024-04-12T07:02:39.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-12T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-05-11T23:59:59.000Z",
                        "currentPeriod": true,
                        "milestones": null
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "DEFAULT"
            },
            {
                "id": 871,
                "attribution": {
                    "createdOn": "2024-04-18T11:37:38.000+0000",
                    "lastUpdatedOn": "2024-04-18T11:37:38.000+0000",
                    "lastUpdatedBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "naresh silla",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "Drink a coffee everyday",
                "preferredTillId": 75050875,
                "targets": [
                    {
                        "targetId": 2180118,
                        "periodId": 1896,
                        "periodRefCode": "Cycle_1",
                        "periodStartDate": "2024-04-18",
                        "periodEndDate": "2024-04-18",
                        "targetValue": 1.000,
                        "targetAchievedValue": 130.000,
                        "targetName": "Drink a coffee everyday",
                        "targetType": "QUANTITY",
                        "targetEntity": "LINEITEM",
                        "targetRuleId": 443,
                        "enrolledOn": "2024-04-18T11:53:08.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-18T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-18T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": 2181420,
                        "periodId": 1897,
                        "periodRefCode": "Cycle_2",
                        "periodStartDate": "2024-04-19",
                        "periodEndDate": "2024-04-19",
                        "targetValue": 1.000,
                        "targetAchievedValue": 390.000,
                        "targetName": "Drink a coffee everyday",
                        "targetType": "QUANTITY",
                        "targetEntity": "LINEITEM",
                        "targetRuleId": 443,
                        "enrolledOn": "2024-04-19T07:21:32.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-19T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-19T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    }
                ],
                "streaks": [
                    {
                        "userStreakId": 5,
                        "streakId": 48,
                        "streakName": "Drink a coffee everyday_1",
                        "status": "INPROGRESS",
                        "currentCount": 2,
                        "totalTargetCountOfSequence": 5
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "STREAKS"
            },
            {
                "id": 872,
                "attribution": {
                    "createdOn": "2024-04-18T11:40:02.000+0000",
                    "lastUpdatedOn": "2024-04-18T11:40:02.000+0000",
                    "lastUpdatedBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "Post a picture everyday",
                "preferredTillId": 75050874,
                "targets": [
                    {
                        "targetId": 2180119,
                        "periodId": 1936,
                        "periodRefCode": "Cycle_1",
                        "periodStartDate": "2024-04-18",
                        "periodEndDate": "2024-04-18",
                        "targetValue": 1.000,
                        "targetAchievedValue": 1.000,
                        "targetName": "Post a picture everyday",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 444,
                        "enrolledOn": "2024-04-18T11:53:08.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-18T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-18T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    },
                    {
                        "targetId": 2181421,
                        "periodId": 1937,
                        "periodRefCode": "Cycle_2",
                        "periodStartDate": "2024-04-19",
                        "periodEndDate": "2024-04-19",
                        "targetValue": 1.000,
                        "targetAchievedValue": 3.000,
                        "targetName": "Post a picture everyday",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 444,
                        "enrolledOn": "2024-04-19T07:21:33.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-19T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-04-19T23:59:59.000Z",
                        "currentPeriod": false,
                        "milestones": null
                    }
                ],
                "streaks": [
                    {
                        "userStreakId": 6,
                        "streakId": 52,
                        "streakName": "Post a picture everyday_1",
                        "status": "INPROGRESS",
                        "currentCount": 2,
                        "totalTargetCountOfSequence": 10
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "STREAKS"
            },
            {
                "id": 862,
                "attribution": {
                    "createdOn": "2024-04-16T14:50:21.000+0000",
                    "lastUpdatedOn": "2024-04-16T14:50:21.000+0000",
                    "lastUpdatedBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75071236,
                        "code": "1675780342_",
                        "description": "",
                        "name": "tom sawyer",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "egeger",
                "preferredTillId": 75050874,
                "targets": [
                    {
                        "targetId": 2176896,
                        "periodId": 1841,
                        "periodRefCode": "Cycle_1",
                        "periodStartDate": "2024-04-16",
                        "periodEndDate": "2024-05-15",
                        "targetValue": 11.000,
                        "targetAchievedValue": 2200.000,
                        "targetName": "egeger",
                        "targetType": "GROSS_SALES",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 437,
                        "enrolledOn": "2024-04-17T08:01:05.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-04-16T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-05-15T23:59:59.000Z",
                        "currentPeriod": true,
                        "milestones": null
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "DEFAULT"
            }
        ]
    },
    "errors": null,
    "warnings": null
}"##;
const MILESTONE_DETAIL_SAMPLE: &str = r##"{
    "data": {
        "userId": 547528790,
        "customer": {
            "id": 547528790,
            "profiles": [
                {
                    "firstName": "Tom",
                    "lastName": "Sawyer",
                    "commChannels": [
                        {
                            "type": "mobile",
                            "accountId": null,
                            "value": "919988221100",
                            "primary": false,
                            "verified": false,
                            "subscribed": null,
                            "attributes": null
                        }
                    ],
                    "source": "instore",
                    "accountId": "",
                    "userId": 547528790,
                    "orgSourceId": -1
                }
            ],
            "loyaltyInfo": {
                "attribution": {
                    "createdOn": "2023-06-21T15:18:56.000+0000",
                    "lastUpdatedOn": "2023-10-25T14:22:47.000+0000",
                    "lastUpdatedBy": {
                        "id": 75074637,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    },
                    "createdBy": {
                        "id": 75036445,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    }
                },
                "loyaltyType": "loyalty",
                "lifetimePurchases": 1111.000
            },
            "customFields": {
                "gender": ""
            }
        },
        "targetGroups": [
            {
                "id": 995,
                "attribution": {
                    "createdOn": "2024-02-20T05:45:04.000+0000",
                    "lastUpdatedOn": "2024-02-20T05:45:04.000+0000",
                    "lastUpdatedBy": {
                        "id": 75050734,
                        "code": "1630580928_",
                        "description": "",
                        "name": "Tom Sawyer",
                        "type": "ADMIN_USER"
                    },
                    "createdBy": {
                        "id": 75050734,
                        "code": "1630580928_",
                        "description": "",
                        "name": "Tom Sawyer",
                        "type": "ADMIN_USER"
                    }
                },
                "name": "Jotun Painter- buy 10X in 1 month to unlock a voucher",
                "preferredTillId": 75046500,
                "targets": [
                    {
                        "targetId": 9443405,
                        "periodId": 2622,
                        "periodRefCode": "Cycle_3",
                        "periodStartDate": "2024-05-01",
                        "periodEndDate": "2024-05-31",
                        "targetValue": 10.000,
                        "targetAchievedValue": 0,
                        "targetName": "Jotun Painter- buy 10X in 1 month to unlock a voucher",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 1059,
                        "enrolledOn": "2024-02-20T05:56:35.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-05-01T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-05-31T23:59:59.000Z",
                        "currentPeriod": true,
                        "milestones": [
                            {
                                "id": 201,
                                "triggerName": "3",
                                "triggerValue": 3.000000,
                                "isAchieved": false
                            },
                            {
                                "id": 202,
                                "triggerName": "5",
                                "triggerValue": 5.000000,
                                "isAchieved": false
                            }
                        ]
                    },
                    {
                        "targetId": 14174302,
                        "periodId": 2622,
                        "periodRefCode": "Cycle_3",
                        "periodStartDate": "2024-05-01",
                        "periodEndDate": "2024-05-31",
                        "targetValue": 10.000,
                        "targetAchievedValue": 0,
                        "targetName": "Jotun Painter- buy 10X in 1 month to unlock a voucher_ReturnBill",
                        "targetType": "COUNT",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 1060,
                        "enrolledOn": "2024-02-20T06:18:59.000+0000",
                        "eventName": "ReturnBill",
                        "periodStartDateWithTimeStamp": "2024-05-01T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-05-31T23:59:59.000Z",
                        "currentPeriod": true,
                        "milestones": null
                    }
                ],
                "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
                "trackingType": "DEFAULT"
            }
        ]
    },
    "errors": null,
    "warnings": null
}"##;
const INCLUDE_INACTIVE_TARGETS_SAMPLE: &str = r##"{
  "data": {
    "userId": 387043873,
    "customer": {
      "id": 387043873,
      "profiles": [
        {
          "firstName": "Tom",
          "lastName": "Sawyer",
          "commChannels": [
            {
              "type": "mobile",
              "accountId": null,
              "value": "918711533321",
              "primary": false,
              "verified": false,
              "subscribed": null,
              "attributes": null
            },
            {
              "type": "email",
              "accountId": null,
              "value": "tom.sawyer@capillarytech.com",
              "primary": false,
              "verified": false,
              "subscribed": null,
              "attributes": null
            }
          ],
          "source": "instore",
          "accountId": "",
          "userId": 387043873,
          "orgSourceId": -1
        }
      ],
      "loyaltyInfo": {
        "attribution": {
          "createdOn": "2024-06-20T12:23:15.000+0530",
          "lastUpdatedOn": "2024-06-20T12:23:15.000+0530",
          "lastUpdatedBy": {
            "id": 50699946,
            "code": null,
            "description": null,
            "name": null,
            "type": null
          },
          "createdBy": {
            "id": 50699946,
            "code": null,
            "description": null,
            "name": null,
            "type": null
          }
        },
        "loyaltyType": "loyalty",
        "lifetimePurchases": 0
      },
      "customFields": {}
    },
    "targetGroups": [
      {
        "id": 32960,
        "attribution": {
          "createdOn": "2024-06-20T12:23:11.000+0530",
          "lastUpdatedOn": "2024-06-20T12:23:11.000+0530",
          "lastUpdatedBy": {
            "id": 50699946,
            "code": "default.till.pyapps.sanity",
            "description": "",
            "name": "default.till.pyapps.sanity",
            "type": "TILL"
          },
          "createdBy": {
            "id": 50699946,
            "code": "default.till.pyapps.sanity",
            "description": "",
            "name": "default.till.pyapps.sanity",
            "type": "TILL"
          }
        },
        "name": "TG_2024-06-20T12:23:10.607325Z",
        "preferredTillId": 50699946,
        "targets": [
          {
            "targetId": 534707,
            "periodId": 43130,
            "periodRefCode": "TestPeriod1",
            "periodStartDate": "2024-06-20",
            "periodEndDate": "2024-06-20",
            "targetValue": 1000.0,
            "targetAchievedValue": 900.0,
            "targetName": "testTargetFixedWindow_2024-06-20T12:23:12.210034Z",
            "targetType": "SALES",
            "targetEntity": "TRANSACTION",
            "targetRuleId": 59857,
            "enrolledOn": "2024-06-20T12:23:17.000+0530",
            "eventName": "TransactionAdd",
            "periodStartDateWithTimeStamp": "2024-06-20T00:00:00.000Z",
            "periodEndDateWithTimeStamp": "2024-06-20T23:59:59.000Z",
            "targetAchievedDateTime": null,
            "currentPeriod": true,
            "milestones": null
          }
        ],
        "targetEvaluationType": "FIXED_CALENDAR_WINDOW",
        "trackingType": "DEFAULT"
      }
    ]
  },
  "errors": null,
  "warnings": null
}"##;
const CYCLIC_WINDOW_SAMPLE: &str = r##"{
    "data": {
        "userId": 387035386,
        "customer": {
            "id": 387035386,
            "profiles": [
                {
                    "firstName": "",
                    "lastName": "",
                    "commChannels": [
                        {
                            "type": "email",
                            "accountId": null,
                            "value": "tom.sawyer@capillarytech.com",
                            "primary": false,
                            "verified": false,
                            "subscribed": null,
                            "attributes": null
                        },
                        {
                            "type": "mobile",
                            "accountId": null,
                            "value": "919988221100",
                            "primary": false,
                            "verified": false,
                            "subscribed": null,
                            "attributes": null
                        }
                    ],
                    "source": "instore",
                    "accountId": "",
                    "userId": 387035386,
                    "orgSourceId": -1
                }
            ],
            "loyaltyInfo": {
                "attribution": {
                    "createdOn": "2024-06-06T17:20:56.000+0530",
                    "lastUpdatedOn": "2024-06-13T22:55:19.000+0530",
                    "lastUpdatedBy": {
                        "id": 50139862,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    },
                    "createdBy": {
                        "id": 50139862,
                        "code": null,
                        "description": null,
                        "name": null,
                        "type": null
                    }
                },
                "loyaltyType": "loyalty",
                "lifetimePurchases": 6000
            },
            "customFields": {}
        },
        "targetGroups": [
            {
                "id": 34044,
                "attribution": {
                    "createdOn": "2024-07-01T20:15:57.000+0530",
                    "lastUpdatedOn": "2024-07-01T20:15:57.000+0530",
                    "lastUpdatedBy": {
                        "id": 50139862,
                        "code": "default.till.pyapps01",
                        "description": "",
                        "name": "default.till.pyapps01",
                        "type": "TILL"
                    },
                    "createdBy": {
                        "id": 50139862,
                        "code": "default.till.pyapps01",
                        "description": "",
                        "name": "default.till.pyapps01",
                        "type": "TILL"
                    }
                },
                "name": "TG_2024-07-01T20:15:56.231866Z",
                "preferredTillId": 50139862,
                "targets": [
                    {
                        "targetId": null,
                        "periodId": 45523,
                        "periodRefCode": "PERIOD_G_34044_1",
                        "periodStartDate": "2024-07-01",
                        "periodEndDate": "2024-07-01",
                        "targetValue": 1500.000,
                        "targetAchievedValue": 0,
                        "targetName": "testTargetFixedWindow_2024-07-01T20:15:56.847445Z",
                        "targetType": "GROSS_SALES",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 61853,
                        "enrolledOn": "2024-07-30T11:32:56.360+0530",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-07-01T20:15:57.000Z",
                        "periodEndDateWithTimeStamp": "2024-07-01T20:15:57.000Z",
                        "targetAchievedDateTime": null,
                        "currentPeriod": false,
                        "milestones": [
                            {
                                "id": 10794,
                                "triggerName": "targetAchieved",
                                "triggerValue": 1500.000000,
                                "isAchieved": false
                            }
                        ]
                    }
                ],
                "targetEvaluationType": "CYCLIC_WINDOW",
                "trackingType": "DEFAULT"
            },
            {
                "id": 34045,
                "attribution": {
                    "createdOn": "2024-07-01T20:18:46.000+0530",
                    "lastUpdatedOn": "2024-07-01T20:18:46.000+0530",
                    "lastUpdatedBy": {
                        "id": 50139862,
                        "code": "default.till.pyapps01",
                        "description": "",
                        "name": "default.till.pyapps01",
                        "type": "TILL"
                    },
                    "createdBy": {
                        "id": 50139862,
                        "code": "default.till.pyapps01",
                        "description": "",
                        "name": "default.till.pyapps01",
                        "type": "TILL"
                    }
                },
                "name": "TG_2024-07-01T20:18:45.830768Z",
                "preferredTillId": 50139862,
                "targets": [
                    {
                        "targetId": null,
                        "periodId": 45524,
                        "periodRefCode": "PERIOD_G_34045_1",
                        "periodStartDate": "2024-07-01",
                        "periodEndDate": "2024-07-01",
                        "targetValue": 1.000,
                        "targetAchievedValue": 0,
                        "targetName": "testTargetFixedWindow_2024-07-01T20:18:46.152676Z",
                        "targetType": "QUANTITY",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 61855,
                        "enrolledOn": "2024-07-30T11:32:56.360+0530",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-07-01T20:18:46.000Z",
                        "periodEndDateWithTimeStamp": "2024-07-01T20:18:46.000Z",
                        "targetAchievedDateTime": null,
                        "currentPeriod": false,
                        "milestones": [
                            {
                                "id": 10795,
                                "triggerName": "targetAchieved",
                                "triggerValue": 1.000000,
                                "isAchieved": false
                            }
                        ]
                    }
                ],
                "targetEvaluationType": "CYCLIC_WINDOW",
                "trackingType": "DEFAULT"
            }
        ]
    },
    "errors": null,
    "warnings": null
}"##;
/// The "With streak achieved DateTime" fragment: the value of a group's `streaks`.
const STREAK_ACHIEVED_FRAGMENT: &str = r##"[{
                        "userStreakId": 380,
                        "streakId": 191,
                        "streakName": "test3_1",
                        "status": "ACHIEVED",
                        "currentCount": 2,
                        "totalTargetCountOfSequence": 2,
                        "streakAchievedUserTargetId": 1248310,
                        "streakAchievedDateTime": "2024-06-10T13:57:58.000+0000"
                    }]"##;
/// The "With target achieved DateTime" fragment: one element of a group's `targets`.
const TARGET_ACHIEVED_FRAGMENT: &str = r##"{
                        "targetId": 1248300,
                        "periodId": 2670,
                        "periodRefCode": "Cycle_2",
                        "periodStartDate": "2024-06-01",
                        "periodEndDate": "2024-06-30",
                        "targetValue": 100.000,
                        "targetAchievedValue": 1000.000,
                        "targetName": "test2",
                        "targetType": "SALES",
                        "targetEntity": "TRANSACTION",
                        "targetRuleId": 2391,
                        "enrolledOn": "2024-06-10T13:56:27.000+0000",
                        "eventName": "TransactionAdd",
                        "periodStartDateWithTimeStamp": "2024-06-01T00:00:00.000Z",
                        "periodEndDateWithTimeStamp": "2024-06-30T23:59:59.000Z",
                        "targetAchievedDateTime": "2024-06-10T13:56:27.000+0000",
                        "currentPeriod": true,
                        "milestones": null
                    }"##;

/// The instant the "With streak detail" sample was taken: its targets not enrolled in report it as
/// `enrolledOn` (2024-05-07T10:26:56.573+0000). The milestone sample is from the same month. Org
/// 100001's clock stands there.
const MAY_2024_SAMPLES_TAKEN: i64 = 1715077616573;
/// The instant the cyclic-window sample was taken (2024-07-30T11:32:56.360+0530), where org
/// 100003's clock stands.
const CYCLIC_SAMPLE_TAKEN: i64 = 1722319376360;

const UTC_TILL: &str = "utc.till";
const UTC2_TILL: &str = "utc2.till";
const CYCLIC_TILL: &str = "cyclic.till";
const CONNECTED_TILL: &str = "connected.till";

fn sample(text: &str) -> Value {
    serde_json::from_str(text).expect("sample JSON")
}

/// Epoch milliseconds of an RFC 3339 instant.
fn millis(instant: &str) -> i64 {
    DateTime::parse_from_rfc3339(instant).expect("RFC 3339").timestamp_millis()
}

/// Asserts two JSON values are equal, numbers compared as numbers (`10.000` equals `10`), and
/// names the path of the first difference.
fn assert_json_eq(actual: &Value, expected: &Value) {
    if let Some(difference) = first_difference(actual, expected, "$") {
        panic!("{difference}\nactual: {}", serde_json::to_string_pretty(actual).unwrap());
    }
}

fn first_difference(actual: &Value, expected: &Value, path: &str) -> Option<String> {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => (a.as_f64() != e.as_f64()).then(|| format!("{path}: {a} != {e}")),
        (Value::Object(a), Value::Object(e)) => {
            if let Some(key) = e.keys().find(|key| !a.contains_key(*key)) {
                return Some(format!("{path}.{key}: missing"));
            }
            if let Some(key) = a.keys().find(|key| !e.contains_key(*key)) {
                return Some(format!("{path}.{key}: not in the sample ({})", a[key]));
            }
            e.iter().find_map(|(key, value)| first_difference(&a[key], value, &format!("{path}.{key}")))
        }
        (Value::Array(a), Value::Array(e)) => {
            if a.len() != e.len() {
                return Some(format!("{path}: {} elements, the sample has {}", a.len(), e.len()));
            }
            a.iter().zip(e).enumerate().find_map(|(i, (a, e))| first_difference(a, e, &format!("{path}[{i}]")))
        }
        (a, e) => (a != e).then(|| format!("{path}: {a} != {e}")),
    }
}

/// The successful answer's `data`, after checking the envelope.
fn data(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["errors"], Value::Null, "{body}");
    assert_eq!(body["warnings"], Value::Null, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    body["data"].clone()
}

async fn get(app: &TestApp, till: &str, uri: &str) -> Value {
    data(&app.get(uri).basic(till, DEMO_PASSWORD).send().await)
}

fn group_ids(data: &Value) -> Vec<i64> {
    data["targetGroups"].as_array().unwrap().iter().map(|group| group["id"].as_i64().unwrap()).collect()
}

fn group(data: &Value, id: i64) -> &Value {
    data["targetGroups"].as_array().unwrap().iter().find(|group| group["id"] == id).unwrap_or_else(|| panic!("no group {id}: {data}"))
}

fn target(data: &Value, group_id: i64, period_id: i64) -> &Value {
    group(data, group_id)["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|target| target["periodId"] == period_id)
        .unwrap_or_else(|| panic!("no target for period {period_id} in group {group_id}"))
}

// ------------------------------------------------------------------------------------ samples

#[tokio::test]
async fn the_streak_detail_sample() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    assert_json_eq(&data, &sample(STREAK_DETAIL_SAMPLE)["data"]);
}

#[tokio::test]
async fn the_milestone_detail_sample() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/547528790/targetGroups").await;
    assert_json_eq(&data, &sample(MILESTONE_DETAIL_SAMPLE)["data"]);
}

#[tokio::test]
async fn the_include_inactive_targets_sample_at_the_bundle_clock() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/387043873/targetGroups?includeInactiveTargets=true").await;
    assert_json_eq(&data, &sample(INCLUDE_INACTIVE_TARGETS_SAMPLE)["data"]);
}

#[tokio::test]
async fn the_cyclic_window_sample() {
    let app = TestApp::new().await;
    let data = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_json_eq(&data, &sample(CYCLIC_WINDOW_SAMPLE)["data"]);
}

#[tokio::test]
async fn the_achieved_time_fragments_at_the_bundle_clock() {
    let app = TestApp::new().await;
    let data = get(&app, UTC2_TILL, "/v3/users/39000001/targetGroups").await;
    assert_eq!(group_ids(&data), vec![1014]);
    assert_json_eq(&group(&data, 1014)["streaks"], &sample(STREAK_ACHIEVED_FRAGMENT));
    let fragment = sample(TARGET_ACHIEVED_FRAGMENT);
    let targets = group(&data, 1014)["targets"].as_array().unwrap();
    let printed: Vec<&Value> = targets.iter().filter(|target| target["targetId"] == fragment["targetId"]).collect();
    assert_eq!(printed.len(), 1, "{data}");
    assert_json_eq(printed[0], &fragment);
}

#[tokio::test]
async fn oauth_reads_the_same_as_basic_auth() {
    let app = TestApp::new().await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let response = app.get("/v3/users/387043873/targetGroups?includeInactiveTargets=true").oauth(&token).send().await;
    assert_json_eq(&data(&response), &sample(INCLUDE_INACTIVE_TARGETS_SAMPLE)["data"]);
    // A token's org stands at its own clock, as its till's does.
    let token = app.oauth_token("cyclic-key", "cyclic-secret").await;
    let response = app.get("/v3/users/387035386/targetGroups").oauth(&token).send().await;
    assert_json_eq(&data(&response), &sample(CYCLIC_WINDOW_SAMPLE)["data"]);
}

// --------------------------------------------------------------------------- query parameters

#[tokio::test]
async fn include_inactive_targets_adds_targets_of_switched_off_rules() {
    let app = TestApp::new().await;
    // Rule 59857 is switched off: without the flag its group has nothing to show and is left out.
    for uri in ["/v3/users/387043873/targetGroups", "/v3/users/387043873/targetGroups?includeInactiveTargets=false"] {
        let data = get(&app, DEMO_TILL, uri).await;
        assert_eq!(data["targetGroups"], json!([]), "{uri}");
        assert_eq!(data["customer"]["id"], 387043873);
    }
    let data = get(&app, DEMO_TILL, "/v3/users/387043873/targetGroups?includeInactiveTargets=1").await;
    assert_eq!(group_ids(&data), vec![32960]);
}

#[tokio::test]
async fn include_inactive_adds_switched_off_groups() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(group_ids(&data), vec![39001, 39003, 39004]);
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?includeInactive=true").await;
    assert_eq!(group_ids(&data), vec![39001, 39002, 39003, 39004]);
    let monsoon = target(&data, 39002, 39102);
    assert_eq!(monsoon["targetId"], 39402);
    assert_eq!(monsoon["targetAchievedDateTime"], "2024-06-10T18:45:00.000+0530");
    assert_eq!(group(&data, 39002)["trackingType"], "UNIFIED");
}

#[tokio::test]
async fn target_rule_id_keeps_only_that_rules_targets() {
    let app = TestApp::new().await;
    let data = get(&app, UTC2_TILL, "/v3/users/39000001/targetGroups?targetRuleId=2392").await;
    let targets: Vec<&Value> = group(&data, 1014)["targets"].as_array().unwrap().iter().collect();
    assert_eq!(targets.iter().map(|t| t["targetId"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1190311, 1248310]);
    assert!(targets.iter().all(|t| t["targetRuleId"] == 2392));
    // The group still tracks its streak.
    assert_eq!(group(&data, 1014)["streaks"][0]["userStreakId"], 380);

    // Groups without a target of the rule are left out.
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?targetRuleId=39203").await;
    assert_eq!(group_ids(&data), vec![39003]);
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?targetRuleId=123456789").await;
    assert_eq!(data["targetGroups"], json!([]));
}

#[tokio::test]
async fn excluded_entities_leaves_those_groups_out() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=39001").await;
    assert_eq!(group_ids(&data), vec![39003, 39004]);
    // Repeated, as an array parameter travels, or comma-separated, or both.
    for query in ["excludedEntities=39001&excludedEntities=39004", "excludedEntities=39001,39004", "excludedEntities=39001%2C%2039004"] {
        let data = get(&app, DEMO_TILL, &format!("/v3/users/39000002/targetGroups?{query}")).await;
        assert_eq!(group_ids(&data), vec![39003], "{query}");
    }
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=39001,39003&excludedEntities=39004").await;
    assert_eq!(data["targetGroups"], json!([]));
    // Ids of nothing the customer sees change nothing.
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=1,2").await;
    assert_eq!(group_ids(&data), vec![39001, 39003, 39004]);
}

#[tokio::test]
async fn tracking_date_judges_current_period_and_achievements_at_that_instant() {
    let app = TestApp::new().await;
    // At the bundle clock (2024-06-20T12:30:00+05:30): week 3 is current, the first milestone is
    // reached, two weeks are achieved.
    let now = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(target(&now, 39003, 39105)["currentPeriod"], true);
    assert_eq!(target(&now, 39003, 39104)["currentPeriod"], false);
    assert_eq!(target(&now, 39003, 39105)["targetAchievedDateTime"], "2024-06-18T19:30:00.000+0530");
    assert_eq!(target(&now, 39001, 39101)["milestones"][0]["isAchieved"], true);
    assert_eq!(group(&now, 39003)["streaks"][0]["currentCount"], 2);

    // On 2024-06-12 at 09:00 in the org's zone: week 2 is current, the milestone (reached at
    // 10:00 that day) and week 3's target are not achieved yet, the streak counts one week.
    let uri = format!("/v3/users/39000002/targetGroups?trackingDate={}", millis("2024-06-12T09:00:00+05:30"));
    let then = get(&app, DEMO_TILL, &uri).await;
    assert_eq!(target(&then, 39003, 39104)["currentPeriod"], true);
    assert_eq!(target(&then, 39003, 39105)["currentPeriod"], false);
    assert_eq!(target(&then, 39003, 39105)["targetAchievedDateTime"], Value::Null);
    assert_eq!(target(&then, 39003, 39103)["targetAchievedDateTime"], "2024-06-04T11:00:00.000+0530");
    assert_eq!(target(&then, 39001, 39101)["milestones"][0]["isAchieved"], false);
    assert_eq!(
        group(&then, 39003)["streaks"][0],
        json!({
            "userStreakId": 39601, "streakId": 39501, "streakName": "Three visit weeks",
            "status": "INPROGRESS", "currentCount": 1, "totalTargetCountOfSequence": 3
        })
    );
    // A target not enrolled in reports the instant judged at as its enrolment.
    assert_eq!(target(&then, 39004, 39106)["enrolledOn"], "2024-06-12T09:00:00.000+0530");
    assert_eq!(target(&now, 39004, 39106)["enrolledOn"], "2024-06-20T12:30:00.000+0530");

    let uri = format!("/v3/users/39000002/targetGroups?trackingDate={}", millis("2024-06-12T10:00:00+05:30"));
    let reached = get(&app, DEMO_TILL, &uri).await;
    assert_eq!(target(&reached, 39001, 39101)["milestones"][0]["isAchieved"], true, "reached at that very instant");
}

#[tokio::test]
async fn current_period_turns_at_midnight_in_the_orgs_time_zone() {
    let app = TestApp::new().await;
    // Period 43130 is 2024-06-20 in Asia/Kolkata.
    let cases = [
        ("2024-06-19T23:59:59.999+05:30", false),
        ("2024-06-20T00:00:00+05:30", true),
        ("2024-06-20T00:00:00Z", true),
        ("2024-06-20T23:59:59.999+05:30", true),
        ("2024-06-21T00:00:00+05:30", false),
        // Still 2024-06-20 in UTC, but 01:30 the next day in the org.
        ("2024-06-20T20:00:00Z", false),
    ];
    for (instant, current) in cases {
        let uri = format!("/v3/users/387043873/targetGroups?includeInactiveTargets=true&trackingDate={}", millis(instant));
        let data = get(&app, DEMO_TILL, &uri).await;
        assert_eq!(target(&data, 32960, 43130)["currentPeriod"], current, "{instant}");
    }
    // Period 1814 of a UTC org is 2024-04-12 to 2024-05-11 in UTC.
    let cases = [
        ("2024-04-11T23:59:59.999Z", false),
        ("2024-04-12T00:00:00Z", true),
        ("2024-05-11T23:59:59.999Z", true),
        ("2024-05-12T00:00:00Z", false),
        ("2024-05-12T03:00:00+05:30", true),
    ];
    for (instant, current) in cases {
        let uri = format!("/v3/users/64035151/targetGroups?trackingDate={}", millis(instant));
        let data = get(&app, UTC_TILL, &uri).await;
        assert_eq!(target(&data, 854, 1814)["currentPeriod"], current, "{instant}");
    }
    // A cyclic window of one second: current only within it.
    for (instant, current) in
        [("2024-07-01T20:15:56.999+05:30", false), ("2024-07-01T20:15:57.500+05:30", true), ("2024-07-01T20:15:58+05:30", false)]
    {
        let uri = format!("/v3/users/387035386/targetGroups?trackingDate={}", millis(instant));
        let data = get(&app, CYCLIC_TILL, &uri).await;
        assert_eq!(target(&data, 34044, 45523)["currentPeriod"], current, "{instant}");
    }
}

#[tokio::test]
async fn the_clock_is_the_configured_one_else_the_orgs_else_the_bundles() {
    // Period 43130 is 2024-06-20 in Asia/Kolkata. Org 50406 has no clock of its own: the bundle's
    // settings.clock (2024-06-20T12:30:00+05:30) judges it.
    let uri = "/v3/users/387043873/targetGroups?includeInactiveTargets=true";
    let set_demo_org_clock = |pool: PgPool| async move {
        sqlx::query("UPDATE orgs SET clock = '2024-06-21T00:00:00+05:30' WHERE org_id = 50406").execute(&pool).await.unwrap();
    };
    let app = TestApp::new().await;
    let pool = app.pool.clone();
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], true);

    // The org's clock wins over the bundle's.
    set_demo_org_clock(pool.clone()).await;
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], false);

    // The configured clock wins over both.
    let config = RuntimeConfig { clock: Some("2024-06-20T23:59:59+05:30".parse().unwrap()), ..RuntimeConfig::default() };
    let app = TestApp::with_config(config).await;
    set_demo_org_clock(app.pool.clone()).await;
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], true);
    let cyclic = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_eq!(target(&cyclic, 34044, 45523)["enrolledOn"], "2024-06-20T23:59:59.000+0530", "not org 100003's clock");
}

#[tokio::test]
async fn tracking_date_wins_over_every_clock() {
    let config = RuntimeConfig { clock: Some("2030-01-01T00:00:00Z".parse().unwrap()), ..RuntimeConfig::default() };
    let app = TestApp::with_config(config).await;
    let data = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_eq!(target(&data, 34044, 45523)["enrolledOn"], "2030-01-01T05:30:00.000+0530");
    // At the instants they were taken, the samples come back whatever the clock says.
    let uri = format!("/v3/users/387035386/targetGroups?trackingDate={CYCLIC_SAMPLE_TAKEN}");
    assert_json_eq(&get(&app, CYCLIC_TILL, &uri).await, &sample(CYCLIC_WINDOW_SAMPLE)["data"]);
    let uri = format!("/v3/users/64035151/targetGroups?trackingDate={MAY_2024_SAMPLES_TAKEN}");
    assert_json_eq(&get(&app, UTC_TILL, &uri).await, &sample(STREAK_DETAIL_SAMPLE)["data"]);
    let uri = format!("/v3/users/547528790/targetGroups?trackingDate={MAY_2024_SAMPLES_TAKEN}");
    assert_json_eq(&get(&app, UTC_TILL, &uri).await, &sample(MILESTONE_DETAIL_SAMPLE)["data"]);
    // And inside a period of its own.
    let uri = format!("/v3/users/387035386/targetGroups?trackingDate={}", millis("2024-07-01T20:15:57+05:30"));
    let data = get(&app, CYCLIC_TILL, &uri).await;
    assert_eq!(target(&data, 34044, 45523)["currentPeriod"], true);
    assert_eq!(target(&data, 34044, 45523)["enrolledOn"], "2024-07-01T20:15:57.000+0530");
}

// ------------------------------------------------------------------------------------- shapes

#[tokio::test]
async fn streaks_appear_only_on_groups_that_track_them() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    for group in data["targetGroups"].as_array().unwrap() {
        let tracks = matches!(group["trackingType"].as_str(), Some("STREAKS" | "NON_CONTINUOUS_STREAKS"));
        assert_eq!(group.get("streaks").is_some(), tracks, "{group}");
    }
    // In progress: no achieved fields at all.
    let in_progress = &group(&data, 871)["streaks"][0];
    assert_eq!(in_progress["status"], "INPROGRESS");
    assert!(in_progress.get("streakAchievedUserTargetId").is_none() && in_progress.get("streakAchievedDateTime").is_none());

    let demo = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(group(&demo, 39003)["trackingType"], "NON_CONTINUOUS_STREAKS");
    assert_eq!(group(&demo, 39003)["streaks"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_streak_is_achieved_from_its_achievement_on() {
    let app = TestApp::new().await;
    // One minute before target 1248310 completed streak 380.
    let uri = format!("/v3/users/39000001/targetGroups?trackingDate={}", millis("2024-06-10T13:56:58Z"));
    let data = get(&app, UTC2_TILL, &uri).await;
    assert_eq!(
        group(&data, 1014)["streaks"],
        json!([{
            "userStreakId": 380, "streakId": 191, "streakName": "test3_1",
            "status": "INPROGRESS", "currentCount": 1, "totalTargetCountOfSequence": 2
        }])
    );
    let targets = group(&data, 1014)["targets"].as_array().unwrap();
    let completing = targets.iter().find(|t| t["targetId"] == 1248310).unwrap();
    assert_eq!(completing["targetAchievedDateTime"], Value::Null);
    let earlier = targets.iter().find(|t| t["targetId"] == 1248300).unwrap();
    assert_eq!(earlier["targetAchievedDateTime"], "2024-06-10T13:56:27.000+0000");

    let uri = format!("/v3/users/39000001/targetGroups?trackingDate={}", millis("2024-06-10T13:57:58Z"));
    let data = get(&app, UTC2_TILL, &uri).await;
    assert_json_eq(&group(&data, 1014)["streaks"], &sample(STREAK_ACHIEVED_FRAGMENT));
}

#[tokio::test]
async fn milestones_are_listed_per_target_or_null() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(
        target(&data, 39001, 39101)["milestones"],
        json!([
            {"id": 39301, "triggerName": "2 coffees", "triggerValue": 2.0, "isAchieved": true},
            {"id": 39302, "triggerName": "4 coffees", "triggerValue": 4.0, "isAchieved": false}
        ])
    );
    assert_eq!(target(&data, 39003, 39103)["milestones"], Value::Null);
    // A target the customer is not enrolled in has not reached any milestone.
    let data = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_json_eq(
        &target(&data, 34044, 45523)["milestones"],
        &json!([{"id": 10794, "triggerName": "targetAchieved", "triggerValue": 1500, "isAchieved": false}]),
    );
}

#[tokio::test]
async fn program_and_alternate_currency_appear_only_for_rules_that_have_them() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    let coffee = target(&data, 39001, 39101);
    assert_eq!(coffee["programId"], 39000003);
    assert_eq!(coffee["alternateCurrencyIdentifier"], "ac_coffee_beans_6f1d");
    assert_eq!(coffee["alternateCurrencyName"], "Coffee Beans");
    let keys: Vec<&str> = coffee.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[..5], &["targetId", "periodId", "programId", "alternateCurrencyIdentifier", "alternateCurrencyName"]);
    let visits = target(&data, 39003, 39103);
    for key in ["programId", "alternateCurrencyIdentifier", "alternateCurrencyName"] {
        assert!(visits.get(key).is_none(), "{key}: {visits}");
    }
}

#[tokio::test]
async fn an_org_on_the_release_before_achievement_times_omits_them() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    let achieved = target(&data, 854, 1814);
    assert_eq!(achieved["targetAchievedValue"], 2600.0);
    assert!(achieved.get("targetAchievedDateTime").is_none(), "{achieved}");
    let streak = &group(&data, 851)["streaks"][0];
    assert_eq!(streak["status"], "ACHIEVED");
    assert_eq!(streak["streakAchievedUserTargetId"], 2179901);
    assert!(streak.get("streakAchievedDateTime").is_none(), "{streak}");
}

#[tokio::test]
async fn targets_not_enrolled_in_list_every_period_of_the_group() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    let capping = group(&data, 643)["targets"].as_array().unwrap();
    assert_eq!(capping.len(), 12);
    assert!(
        capping
            .iter()
            .all(|t| t["targetId"].is_null() && t["targetAchievedValue"] == 0.0 && t["enrolledOn"] == "2024-05-07T10:26:56.573+0000")
    );
    // An enrolled group shows the customer's own targets only (871 has five daily periods).
    assert_eq!(group(&data, 871)["targets"].as_array().unwrap().len(), 2);
}

// ------------------------------------------------------------------------------------- errors

#[tokio::test]
async fn a_user_id_that_is_not_a_number_is_400() {
    let app = TestApp::new().await;
    for user_id in ["abc", "12x", "1.5", "99999999999999999999"] {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::BAD_REQUEST, 11012);
        assert!(message.contains("userId") && message.contains(user_id), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_customer_is_404() {
    let app = TestApp::new().await;
    for user_id in ["1", "-5", "0"] {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::NOT_FOUND, 8015);
        assert!(message.contains("userId") && message.contains(user_id), "{message}");
    }
}

#[tokio::test]
async fn another_orgs_customer_is_not_found() {
    let app = TestApp::new().await;
    // 64035151 belongs to the UTC org; 387043873 to org 50406, which connected.till's org is
    // connected from but cannot read through this API; 387035386 to the cyclic org.
    let cases = [
        (DEMO_TILL, 64035151),
        (CONNECTED_TILL, 387043873),
        (UTC2_TILL, 64035151),
        (UTC_TILL, 39000001),
        (DEMO_TILL, 387035386),
        (CYCLIC_TILL, 387043873),
    ];
    for (till, user_id) in cases {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).basic(till, DEMO_PASSWORD).send().await;
        let message = assert_v3_error(&response, StatusCode::NOT_FOUND, 8015);
        assert!(message.contains(&user_id.to_string()), "{message}");
    }
}

#[tokio::test]
async fn malformed_query_parameters_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let cases = [
        ("includeInactive=maybe", "includeInactive"),
        ("includeInactiveTargets=yes", "includeInactiveTargets"),
        ("targetRuleId=abc", "targetRuleId"),
        ("targetRuleId=1.5", "targetRuleId"),
        ("excludedEntities=1,x", "excludedEntities"),
        ("excludedEntities=1,,2", "excludedEntities"),
        ("excludedEntities=1&excludedEntities=y", "excludedEntities"),
        ("trackingDate=2024-06-20", "trackingDate"),
        ("trackingDate=99999999999999999", "trackingDate"),
    ];
    for (query, parameter) in cases {
        let response = app.get(&format!("/v3/users/39000002/targetGroups?{query}")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::BAD_REQUEST, 11030);
        assert!(message.contains(parameter), "{query}: {message}");
    }
}

#[tokio::test]
async fn without_credentials_it_is_401_in_the_v3_envelope() {
    let app = TestApp::new().await;
    let response = app.get("/v3/users/387043873/targetGroups").send().await;
    assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401);
    let response = app.get("/v3/users/387043873/targetGroups").basic(DEMO_TILL, "wrong").send().await;
    assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401);
}

// ------------------------------------------------------------------------------ one universe

/// Every achievement in the bundle is a `TargetCompleted` event with its completion and a ledger
/// credit, so the explode and DAS endpoints tell the same story as this one. (A target achieved
/// as a step of a streak may be completed by the streak's completion alone.)
#[tokio::test]
async fn every_achievement_has_its_target_completed_event_and_credit() {
    let db = TestDb::with_fixtures().await;
    let pool = &db.pool;
    let missing: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'user target', ut.user_target_id FROM user_targets ut
         WHERE ut.achieved_on IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM target_completions c WHERE c.user_target_id = ut.user_target_id)
         UNION ALL
         SELECT 'milestone', um.milestone_id FROM user_milestones um
         WHERE NOT EXISTS (SELECT 1 FROM target_completions c WHERE c.milestone_id = um.milestone_id AND c.user_target_id = um.user_target_id)
         UNION ALL
         SELECT 'streak', us.user_streak_id FROM user_streaks us
         WHERE us.status = 'ACHIEVED' AND NOT EXISTS (SELECT 1 FROM target_completions c WHERE c.user_streak_id = us.user_streak_id)
         UNION ALL
         SELECT 'completion without its event and credit', c.event_log_id FROM target_completions c
         WHERE NOT EXISTS (SELECT 1 FROM event_logs e WHERE e.event_log_id = c.event_log_id AND e.event_name = 'TargetCompleted'
                           AND e.event_type_id = 25 AND e.customer_id = c.customer_id)
            OR NOT EXISTS (SELECT 1 FROM points_ledger_entries l WHERE l.event_log_id = c.event_log_id AND l.ledger_entry_type = 'CREDIT')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(missing, vec![]);
}
