//! The portable schema, written by hand for both backends (same names and
//! types in `migrations/sqlite` and `migrations/postgres`).

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    component_groups (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    components (id) {
        id -> BigInt,
        group_id -> Nullable<BigInt>,
        name -> Text,
        description -> Text,
        position -> Integer,
        status -> Text,
        audience -> Text,
        showcase -> Bool,
        only_show_if_degraded -> Bool,
        start_date -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    component_status_changes (id) {
        id -> BigInt,
        component_id -> BigInt,
        from_status -> Text,
        to_status -> Text,
        changed_at -> Timestamp,
        incident_id -> Nullable<BigInt>,
        actor -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Nullable<BigInt>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    site_revision (id) {
        id -> Integer,
        revision -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(components -> component_groups (group_id));
diesel::joinable!(component_status_changes -> components (component_id));

diesel::table! {
    incidents (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        impact -> Text,
        urgency -> Text,
        priority -> Text,
        business_critical -> Bool,
        client_impact -> Text,
        checklist_json -> Text,
        started_at -> Timestamp,
        identified_at -> Nullable<Timestamp>,
        monitoring_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        next_update_by -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        failure_occurred_at -> Nullable<Timestamp>,
        operations_notified_at -> Nullable<Timestamp>,
        operations_on_site_at -> Nullable<Timestamp>,
        second_level_on_site_at -> Nullable<Timestamp>,
        services_restored_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incident_milestones (id) {
        id -> BigInt,
        incident_id -> BigInt,
        milestone -> Text,
        at -> Nullable<Timestamp>,
        set_by -> Text,
        set_at -> Timestamp,
        live -> Bool,
    }
}

diesel::table! {
    incident_components (incident_id, component_id) {
        incident_id -> BigInt,
        component_id -> BigInt,
    }
}

diesel::table! {
    incident_updates (id) {
        id -> BigInt,
        incident_id -> BigInt,
        status -> Text,
        external_body -> Nullable<Text>,
        internal_body -> Nullable<Text>,
        external_html -> Nullable<Text>,
        internal_html -> Nullable<Text>,
        template_set -> Nullable<Text>,
        author -> Text,
        notify -> Bool,
        regression -> Bool,
        next_update_by -> Nullable<Timestamp>,
        affected_components_json -> Text,
        display_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    phase_template_sets (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    phase_templates (id) {
        id -> BigInt,
        set_id -> BigInt,
        phase -> Text,
        audience -> Text,
        body -> Text,
    }
}

diesel::joinable!(incident_components -> incidents (incident_id));
diesel::joinable!(incident_components -> components (component_id));
diesel::joinable!(incident_updates -> incidents (incident_id));
diesel::joinable!(incident_milestones -> incidents (incident_id));
diesel::joinable!(phase_templates -> phase_template_sets (set_id));

diesel::table! {
    maintenances (id) {
        id -> BigInt,
        name -> Text,
        body -> Text,
        body_html -> Text,
        status -> Text,
        scheduled_for -> Timestamp,
        scheduled_until -> Timestamp,
        rrule -> Nullable<Text>,
        recurrence_start -> Nullable<Timestamp>,
        auto_start -> Bool,
        auto_end -> Bool,
        started_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        notify -> Bool,
        reminded_for -> Nullable<Timestamp>,
    }
}

diesel::table! {
    maintenance_components (maintenance_id, component_id) {
        maintenance_id -> BigInt,
        component_id -> BigInt,
        previous_status -> Nullable<Text>,
    }
}

diesel::table! {
    maintenance_updates (id) {
        id -> BigInt,
        maintenance_id -> BigInt,
        status -> Text,
        body -> Text,
        body_html -> Text,
        author -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(maintenance_components -> maintenances (maintenance_id));
diesel::joinable!(maintenance_components -> components (component_id));
diesel::joinable!(maintenance_updates -> maintenances (maintenance_id));

diesel::table! {
    notifications (id) {
        id -> BigInt,
        kind -> Text,
        audience -> Text,
        subject -> Nullable<Text>,
        payload_json -> Text,
        created_at -> Timestamp,
        fanned_out_at -> Nullable<Timestamp>,
        fan_out_components -> Nullable<Text>,
        fan_out_cursor -> BigInt,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        notification_id -> BigInt,
        recipient -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        message_id -> Text,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(deliveries -> notifications (notification_id));

diesel::table! {
    subscribers (id) {
        id -> BigInt,
        email -> Text,
        audience -> Text,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
        quarantined_at -> Nullable<Timestamp>,
        bounce_count -> Integer,
        confirm_token_hash -> Nullable<Text>,
        link_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    subscriber_components (subscriber_id, component_id) {
        subscriber_id -> BigInt,
        component_id -> BigInt,
    }
}

diesel::table! {
    site_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(subscriber_components -> subscribers (subscriber_id));
diesel::joinable!(subscriber_components -> components (component_id));

diesel::table! {
    incident_reports (id) {
        id -> BigInt,
        incident_id -> BigInt,
        status -> Text,
        version -> Integer,
        description -> Text,
        links_json -> Text,
        client_impact -> Text,
        resolution -> Text,
        worked_well -> Text,
        did_not_work -> Text,
        recommendations -> Text,
        published -> Bool,
        submitted_by -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        returned_by -> Nullable<Text>,
        returned_at -> Nullable<Timestamp>,
        return_comment -> Nullable<Text>,
    }
}

diesel::table! {
    incident_report_versions (id) {
        id -> BigInt,
        report_id -> BigInt,
        version -> Integer,
        content_json -> Text,
        approved_by -> Text,
        approved_at -> Timestamp,
    }
}

diesel::table! {
    action_items (id) {
        id -> BigInt,
        incident_id -> BigInt,
        action -> Text,
        responsibility -> Text,
        priority -> Text,
        due_on -> Nullable<Date>,
        status -> Text,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(incident_reports -> incidents (incident_id));
diesel::joinable!(incident_report_versions -> incident_reports (report_id));
diesel::joinable!(action_items -> incidents (incident_id));

diesel::table! {
    roster_entries (role) {
        role -> Text,
        main_name -> Text,
        main_email -> Nullable<Text>,
        main_phone -> Nullable<Text>,
        backup_name -> Nullable<Text>,
        backup_email -> Nullable<Text>,
        backup_phone -> Nullable<Text>,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incident_role_holdings (id) {
        id -> BigInt,
        incident_id -> BigInt,
        role -> Text,
        holder_name -> Text,
        holder_email -> Nullable<Text>,
        holder_phone -> Nullable<Text>,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        assigned_by -> Text,
        ended_by -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::joinable!(incident_role_holdings -> incidents (incident_id));

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        description -> Text,
        incident_events -> Bool,
        component_events -> Bool,
        maintenance_events -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        last_failure -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_type -> Text,
        payload_json -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::table! {
    digests (id) {
        id -> BigInt,
        period_key -> Text,
        period_from -> Timestamp,
        period_to -> Timestamp,
        notification_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    api_tokens,
    component_groups,
    components,
    component_status_changes,
    audit_log,
    site_revision,
    incidents,
    incident_components,
    incident_updates,
    incident_milestones,
    phase_template_sets,
    phase_templates,
    maintenances,
    maintenance_components,
    maintenance_updates,
    notifications,
    deliveries,
    subscribers,
    subscriber_components,
    site_secrets,
    incident_reports,
    incident_report_versions,
    action_items,
    roster_entries,
    incident_role_holdings,
    webhooks,
    webhook_deliveries,
    digests,
);
