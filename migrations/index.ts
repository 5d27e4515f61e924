import { CreateEvents1763700000000 } from './1763700000000-create-events';
import { CreateActivityMetrics1763700001000 } from './1763700001000-create-activity-metrics';
import { CreateApiKeys1763700002000 } from './1763700002000-create-api-keys';
import { CreateAnalyticsRollups1763700003000 } from './1763700003000-create-analytics-rollups';
import { AnalyticsTriggerDenseIds1763700004000 } from './1763700004000-analytics-trigger-dense-ids';
import { DistributableEvents1763700005000 } from './1763700005000-distributable-events';
import { CreateUserErasures1763700006000 } from './1763700006000-create-user-erasures';
import { CreateHourlyRollups1763700007000 } from './1763700007000-create-hourly-rollups';
import { CreateQuarterHourUserIds1763700008000 } from './1763700008000-create-quarter-hour-user-ids';
import { IngestApiKeys1763700009000 } from './1763700009000-ingest-api-keys';
import { CreateSixHourUserSets1763700010000 } from './1763700010000-create-six-hour-user-sets';
import { CreateVisitorSalts1763700010500 } from './1763700010500-create-visitor-salts';
import { CreateMonthlyUserSets1763700011000 } from './1763700011000-create-monthly-user-sets';

/** Every migration, in order. Listed explicitly so compiled and ts-jest runs load the same set. */
export const MIGRATIONS = [
  CreateEvents1763700000000, CreateActivityMetrics1763700001000, CreateApiKeys1763700002000,
  CreateAnalyticsRollups1763700003000, AnalyticsTriggerDenseIds1763700004000,
  DistributableEvents1763700005000, CreateUserErasures1763700006000, CreateHourlyRollups1763700007000,
  CreateQuarterHourUserIds1763700008000, IngestApiKeys1763700009000, CreateSixHourUserSets1763700010000,
  CreateVisitorSalts1763700010500, CreateMonthlyUserSets1763700011000,
];
