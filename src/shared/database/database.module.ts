import { DynamicModule, Logger, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config';
import { dataSourceOptions } from './data-source-options';
import { ReadDatabase } from './read-database';
import { runMigrations } from './run-migrations';

export interface DatabaseModuleOptions {
  /** Connection attempts at start before giving up (TypeORM retries every 3 s). */
  retryAttempts?: number;
  applicationName?: string;
}

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, options: DatabaseModuleOptions = {}): DynamicModule {
    if (!config.databaseUrl) {
      throw new Error('DatabaseModule needs a database URL; start the embedded database first');
    }
    const url = config.databaseUrl;
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      // ReadDatabase is infrastructure every module's read adapters may use, like the DataSource.
      global: true,
      providers: [
        {
          provide: ReadDatabase,
          useFactory: (primary: DataSource) =>
            new ReadDatabase(primary, config.databaseReadUrls, {
              maxLagMs: config.readMaxLagMs,
              checkIntervalMs: config.readCheckIntervalMs,
              applicationName: `${options.applicationName ?? 'tracking-service'}-read`,
              log: new Logger('ReadReplicas'),
            }),
          inject: [getDataSourceToken()],
        },
      ],
      exports: [ReadDatabase],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(url, options.applicationName, config.citusCachedConnections),
            autoLoadEntities: true,
            retryAttempts: options.retryAttempts ?? 10,
            retryDelay: 3000,
          }),
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            if (config.migrateOnStart) {
              const applied = await runMigrations(dataSource);
              if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`);
            }
            return dataSource;
          },
        }),
      ],
    };
  }
}
