ALTER TABLE `subscriptions` ADD `format` text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `origin` text;