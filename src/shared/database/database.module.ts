import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config';
import { dataSourceOptions } from './data-source-options';
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
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(url, options.applicationName),
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
