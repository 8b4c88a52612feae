//! The seed corpus served exactly, on both backends, with every relation navigable both ways.

use crate::on_each_backend;
use serde_json::{json, Value};

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|n| n[key].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_three_key_messages_of_the_dialogues() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ exercise(by: {slug: "ai-cam-public-dialogues-2024"}) {
                    title kind startDate endDate places missions status
                    involvements { role organisation { name } }
                    sessions { nodes { title place date format } }
                    findings(first: 3) { totalCount nodes { title kind position missions
                        provenance { locator source { fileName publishedOn } } } }
                } }"#,
                json!({}),
            )
            .await;
        let ex = &data["exercise"];
        assert_eq!(
            ex["title"],
            "ai@cam public dialogues on AI in public services"
        );
        assert_eq!(ex["kind"], "PUBLIC_DIALOGUE");
        assert_eq!(ex["startDate"], "2024-09");
        assert_eq!(ex["places"], json!(["Cambridge", "Liverpool"]));
        assert_eq!(
            ex["missions"],
            json!([
                "HEALTH",
                "EDUCATION",
                "CRIME_AND_POLICING",
                "ENERGY_AND_NET_ZERO"
            ])
        );
        assert_eq!(
            ex["involvements"],
            json!([{"role": "ORGANISER", "organisation": {"name": "ai@cam"}}])
        );
        assert_eq!(
            ex["sessions"]["nodes"],
            json!([
                {"title": "Public dialogue session in Cambridge", "place": "Cambridge", "date": "2024-09", "format": "IN_PERSON"},
                {"title": "Public dialogue session in Liverpool", "place": "Liverpool", "date": "2024-09", "format": "IN_PERSON"}
            ])
        );
        let findings = &ex["findings"];
        assert_eq!(findings["totalCount"], 5);
        assert_eq!(
            strings(&findings["nodes"], "title"),
            vec![
                "AI should be a co-pilot, not a replacement",
                "Public benefit should be the primary driver of AI adoption in public services",
                "Robust governance is needed to provide checks and balances",
            ]
        );
        let first = &findings["nodes"][0];
        assert_eq!(first["kind"], "PRINCIPLE");
        assert_eq!(first["position"], 1);
        assert_eq!(
            first["provenance"],
            json!({"locator": "AI should be a co-pilot, not a replacement.",
                   "source": {"fileName": "000_af454ef63c3a083e.txt", "publishedOn": "2024-10-26"}})
        );
    });
}

#[tokio::test]
async fn the_hopes_and_concerns_behind_a_key_message() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ finding(by: {slug: "ai-co-pilot-not-replacement"}) {
                    views(first: 10) { nodes { slug verbatim stance themes { slug } finding { slug } exercise { slug } } }
                    resources { nodes { title url publisher { name } } }
                    themes { slug }
                } }"#,
                json!({}),
            )
            .await;
        let f = &data["finding"];
        assert_eq!(
            strings(&f["views"]["nodes"], "slug"),
            vec![
                "user-need-starting-point",
                "engage-frontline-staff-and-users",
                "ai-supports-decisions",
                "not-a-substitute-for-human-contact",
                "alternatives-for-non-digital-users",
            ]
        );
        let concern = &f["views"]["nodes"][3];
        assert_eq!(concern["stance"], "CONCERN");
        assert_eq!(concern["verbatim"], false);
        assert_eq!(concern["themes"], json!([{"slug": "human-contact"}]));
        assert_eq!(concern["finding"]["slug"], "ai-co-pilot-not-replacement");
        assert_eq!(concern["exercise"]["slug"], "ai-cam-public-dialogues-2024");
        assert_eq!(
            f["resources"]["nodes"],
            json!([
                {"title": "AI Public Dialogue Report",
                 "url": "https://www.ai.cam.ac.uk/assets/uploads/ai-cam-public-dialogue-report.pdf",
                 "publisher": {"name": "ai@cam"}},
                {"title": "Using AI for public benefit: insights from our public dialogues on AI and the Missions for Government",
                 "url": null, "publisher": {"name": "ai@cam"}}
            ])
        );
        // Themes come back ordered by label.
        assert_eq!(
            strings(&f["themes"], "slug"),
            vec![
                "accessibility",
                "decision-making",
                "human-contact",
                "public-engagement"
            ]
        );
    });
}

#[tokio::test]
async fn the_community_of_practice_and_its_survey() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ exercise(by: {slug: "data-ai-public-engagement-cop"}) {
                    title startDate endDate sessionCount status
                    partOf { title involvements { role organisation { name } } }
                    parts { nodes { slug participantCount
                        metrics { nodes { slug value unit base } } } }
                    organisations(role: SUGGESTED_HOST_OR_SPEAKER, first: 20) { totalCount nodes { name } }
                    metrics { nodes { label value unit } }
                } }"#,
                json!({}),
            )
            .await;
        let cop = &data["exercise"];
        assert_eq!(
            cop["title"],
            "Data and AI Public Engagement Community of Practice"
        );
        assert_eq!(cop["startDate"], "2024-07");
        assert_eq!(cop["endDate"], "2026-03");
        assert_eq!(cop["sessionCount"], 17);
        assert_eq!(cop["status"], "COMPLETED");
        assert_eq!(
            cop["partOf"],
            json!({"title": "Giving communities a powerful say in public sector data and AI projects",
                   "involvements": [
                       {"role": "ORGANISER", "organisation": {"name": "Connected by Data"}},
                       {"role": "FUNDER", "organisation": {"name": "Mohn Westlake"}}]})
        );
        assert_eq!(
            cop["metrics"]["nodes"],
            json!([
                {"label": "People on the community of practice mailing list", "value": 565.0, "unit": "people"},
                {"label": "Meetings held", "value": 17.0, "unit": "meetings"}
            ])
        );
        let survey = &cop["parts"]["nodes"][0];
        assert_eq!(survey["slug"], "data-ai-public-engagement-cop-survey");
        assert_eq!(survey["participantCount"], 10);
        assert_eq!(
            survey["metrics"]["nodes"],
            json!([
                {"slug": "survey-responses", "value": 10.0, "unit": "responses", "base": 565},
                {"slug": "survey-attended-one-to-four", "value": 9.0, "unit": "respondents", "base": 10},
                {"slug": "survey-attended-none", "value": 1.0, "unit": "respondents", "base": 10},
                {"slug": "survey-average-usefulness", "value": 6.7, "unit": "score out of 10", "base": 10},
                {"slug": "survey-would-come-again", "value": 8.0, "unit": "respondents", "base": 10},
                {"slug": "survey-maybe-come-again", "value": 2.0, "unit": "respondents", "base": 10}
            ])
        );
        let suggested = &cop["organisations"];
        assert_eq!(suggested["totalCount"], 9);
        assert_eq!(
            strings(&suggested["nodes"], "name"),
            vec![
                "Public Engagement in Data Research Initiative (PEDRI)",
                "Understanding Patient Data",
                "Office for National Statistics",
                "Data and Analytics Research Environments UK (DARE UK)",
                "Open Data Institute",
                "Ada Lovelace Institute",
                "One HealthTech",
                "Civic Health Innovation Labs at University of Liverpool",
                "National Co-ordinating Centre for Public Engagement",
            ]
        );
    });
}

#[tokio::test]
async fn the_organisation_list() {
    on_each_backend!(|app| {
        let data = app
            .data(
                "{ organisations(first: 100) { totalCount nodes { slug kind } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["organisations"]["totalCount"], 16);
        let kinds: Vec<(String, String)> = data["organisations"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|o| {
                (
                    o["slug"].as_str().unwrap_or_default().into(),
                    o["kind"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        assert_eq!(kinds[0], ("ai-cam".to_string(), "UNIVERSITY".to_string()));
        assert!(kinds.contains(&("mohn-westlake".to_string(), "FUNDER".to_string())));
        assert!(kinds.contains(&("dsit".to_string(), "GOVERNMENT".to_string())));

        // organisation -> exercises, by role.
        let data = app
            .data(
                r#"{ organisation(by: {slug: "connected-by-data"}) {
                    name exercises(first: 10) { nodes { slug } }
                    funded: exercises(role: FUNDER) { nodes { slug } }
                    publishedResources(first: 20) { totalCount }
                } }"#,
                json!({}),
            )
            .await;
        let org = &data["organisation"];
        assert_eq!(
            strings(&org["exercises"]["nodes"], "slug"),
            vec![
                "giving-communities-a-powerful-say",
                "data-ai-public-engagement-cop",
                "data-ai-public-engagement-cop-survey"
            ]
        );
        assert_eq!(org["funded"]["nodes"], json!([]));
        assert_eq!(org["publishedResources"]["totalCount"], 6);
    });
}

#[tokio::test]
async fn missions_and_themes_lead_to_the_evidence() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ missions { code label views { totalCount } findings { totalCount } exercises { nodes { slug } } }
                     theme(by: {slug: "privacy"}) { label views { nodes { slug } } findings { nodes { slug } } } }"#,
                json!({}),
            )
            .await;
        let counts: Vec<(String, u64, u64)> = data["missions"]
            .as_array()
            .expect("missions")
            .iter()
            .map(|m| {
                (
                    m["code"].as_str().unwrap_or_default().to_string(),
                    m["views"]["totalCount"].as_u64().unwrap_or_default(),
                    m["findings"]["totalCount"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            counts,
            vec![
                ("HEALTH".into(), 25, 5),
                ("EDUCATION".into(), 25, 5),
                ("CRIME_AND_POLICING".into(), 25, 5),
                ("ENERGY_AND_NET_ZERO".into(), 25, 5),
                ("ECONOMIC_GROWTH".into(), 0, 0),
            ]
        );
        assert_eq!(data["missions"][4]["exercises"]["nodes"], json!([]));
        let privacy = &data["theme"];
        assert_eq!(privacy["label"], "Privacy");
        assert_eq!(
            strings(&privacy["views"]["nodes"], "slug"),
            vec!["personal-data-sold", "regulators-protect-privacy"]
        );
        assert_eq!(
            strings(&privacy["findings"]["nodes"], "slug"),
            vec!["robust-governance-checks-and-balances"]
        );
    });
}

#[tokio::test]
async fn verbatim_quotes_are_marked() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ exercise(by: {slug: "data-ai-public-engagement-cop-survey"}) {
                    views(first: 50) { nodes { text verbatim } } } }"#,
                json!({}),
            )
            .await;
        let quotes: Vec<String> = data["exercise"]["views"]["nodes"]
            .as_array()
            .expect("views")
            .iter()
            .filter(|v| v["verbatim"] == true)
            .map(|v| v["text"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            quotes,
            vec![
                "but I often ponder what should I be taking away from this as a civil servant in terms of how I could help the public be more involved in issues that affect them related to data and AI",
                "People who go have really committed and are more up for discussion",
                "not academic and addresses broad societal issues around AI",
                "more junior civil servants can be understandably really reticent to go to public events for fear of “putting their foot in it”",
                "the visibility is not good about this within the CS for this sort of thing. Which is a shame.",
            ]
        );
    });
}

#[tokio::test]
async fn every_object_comes_back_by_its_id() {
    on_each_backend!(|app| {
        let data = app
            .data(
                r#"{ commitments(first: 1) { nodes { id } }
                     exercises(first: 1) { nodes { id } } findings(first: 1) { nodes { id } }
                     participantViews(first: 1) { nodes { id } } metrics(first: 1) { nodes { id } }
                     resources(first: 1) { nodes { id } } organisations(first: 1) { nodes { id } }
                     themes(first: 1) { nodes { id } } sessions(first: 1) { nodes { id } }
                     sourceDocuments(first: 1) { nodes { id } } missions { id } }"#,
                json!({}),
            )
            .await;
        let mut ids = Vec::new();
        for (field, value) in data.as_object().expect("object") {
            let id = if field == "missions" {
                &value[0]["id"]
            } else {
                &value["nodes"][0]["id"]
            };
            ids.push(id.as_str().expect("id").to_string());
        }
        let nodes = app
            .data(
                "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
                json!({"ids": ids}),
            )
            .await;
        let typenames: Vec<String> = strings(&nodes["nodes"], "__typename");
        assert_eq!(
            typenames,
            // In the order of the (alphabetically sorted) root fields above.
            vec![
                "Commitment",
                "Exercise",
                "Finding",
                "Metric",
                "GovernmentMission",
                "Organisation",
                "ParticipantView",
                "Resource",
                "Session",
                "SourceDocument",
                "Theme"
            ]
        );
        assert_eq!(strings(&nodes["nodes"], "id"), ids);
        // The same ID through the typed root field, and the view back to its finding and resources.
        let view = app
            .data(
                r#"{ participantView(by: {slug: "personal-data-sold"}) { id text finding { slug } session { slug }
                     resources { nodes { slug } } } }"#,
                json!({}),
            )
            .await;
        let v = &view["participantView"];
        assert_eq!(
            v["text"],
            "Personal data held by government could be sold for commercial gain."
        );
        assert_eq!(v["finding"]["slug"], "public-benefit-primary-driver");
        assert_eq!(v["session"], Value::Null);
        assert_eq!(
            strings(&v["resources"]["nodes"], "slug"),
            vec![
                "ai-public-dialogue-report",
                "ai-cam-blog-using-ai-for-public-benefit",
                "ai-opportunities-action-plan-tor",
                "missions-for-government",
                "dsit-new-digital-centre"
            ]
        );
        let again = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on ParticipantView { slug } } }",
                json!({"id": v["id"]}),
            )
            .await;
        assert_eq!(again["node"]["slug"], "personal-data-sold");
    });
}
