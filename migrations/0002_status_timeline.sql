ALTER TABLE `snapshots` ADD `status_changed` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `snapshots_status_changes_idx` ON `snapshots` (`job_id`,`observed_at`,`id`) WHERE "snapshots"."status_changed" = 1;--> statement-breakpoint
CREATE INDEX `jobs_state_list_idx` ON `jobs` (`state`,`tracked_at`,`job_id`);--> statement-breakpoint
-- Backfill (hand-written): mark the snapshots whose status differs from the job's previous one.
UPDATE `snapshots` SET `status_changed` = 1 WHERE `status` IS NOT (
	SELECT p.`status` FROM `snapshots` p
	WHERE p.`job_id` = `snapshots`.`job_id`
		AND (p.`observed_at` < `snapshots`.`observed_at` OR (p.`observed_at` = `snapshots`.`observed_at` AND p.`id` < `snapshots`.`id`))
	ORDER BY p.`observed_at` DESC, p.`id` DESC LIMIT 1
);
